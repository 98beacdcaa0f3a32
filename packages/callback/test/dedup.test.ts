import { MemoryStore } from '@maven/wecom-core';
import { describe, expect, it } from 'vitest';
import { CallbackRouter, type DuplicateInfo } from '../src/index.js';
import { callbackFor, deferred, eventXml, makeApp, post, textXml } from './helpers.js';

describe('dedup before dispatch', () => {
  it("WeCom's 3 re-deliveries of one message → one dispatch, every copy answered 200", async () => {
    const app = makeApp();
    const router = new CallbackRouter({ app });
    const seen: string[] = [];
    const duplicates: DuplicateInfo[] = [];
    router.on('text', (msg) => {
      seen.push(msg.msgId);
    });
    router.on('duplicate', (info) => {
      duplicates.push(info);
    });
    const message = textXml(app, 'hi', { msgId: '9007199254740993123' });
    // WeCom retries the same message; each retry may be encrypted afresh.
    const deliveries = [
      callbackFor(app, message),
      callbackFor(app, message),
      callbackFor(app, message),
      callbackFor(app, message),
    ];
    for (const d of deliveries) expect((await post(router, d)).status).toBe(200);
    expect(seen).toEqual(['9007199254740993123']);
    expect(duplicates).toHaveLength(3);
    expect(duplicates[0]!.key).toBe(`${app.name}:msg:9007199254740993123`);
  });

  it('a replay signed 290 s ahead and sent again 310 s later is dispatched once (dedup outlives the window)', async () => {
    let clock = Date.now();
    const app = makeApp();
    // dedupTtlMs shorter than the span the signed timestamp stays acceptable: the mark must still hold.
    const router = new CallbackRouter({ app, now: () => clock, dedupTtlMs: 1000, timestampWindow: 300 });
    let dispatched = 0;
    router.on('text', () => {
      dispatched++;
    });
    const delivery = callbackFor(app, textXml(app, 'once', { msgId: '4242' }), {
      timestamp: Math.floor(clock / 1000) + 290,
    });
    expect((await post(router, delivery)).status).toBe(200);
    clock += 310_000;
    expect((await post(router, delivery)).status).toBe(200);
    expect(dispatched).toBe(1);
  });

  it('a re-delivery while the first copy is still being handled is answered 503 at once (WeCom tries again) and not dispatched', async () => {
    const app = makeApp();
    const router = new CallbackRouter({ app, deadlineMs: 2000 });
    const release = deferred();
    let calls = 0;
    router.on('text', async () => {
      calls++;
      await release.promise;
    });
    const message = textXml(app, 'slow');
    const first = post(router, callbackFor(app, message));
    const retry = await post(router, callbackFor(app, message));
    expect(retry).toMatchObject({ status: 503, body: 'in_progress' });
    release.resolve();
    expect((await first).status).toBe(200);
    expect(await post(router, callbackFor(app, message))).toMatchObject({ status: 200, body: '' });
    expect(calls).toBe(1);
  });

  it('events dedup on FromUserName + CreateTime + Event + EventKey', async () => {
    const app = makeApp();
    const router = new CallbackRouter({ app });
    const keys: string[] = [];
    router.on('event.click', (evt) => {
      keys.push(evt.eventKey);
    });
    const t = 1_700_000_000;
    const click = (key: string) => eventXml(app, 'click', { EventKey: key }, { createTime: t });
    await post(router, callbackFor(app, click('menu-1'), { timestamp: Math.floor(Date.now() / 1000) }));
    await post(router, callbackFor(app, click('menu-1')));
    await post(router, callbackFor(app, click('menu-2')));
    expect(keys).toEqual(['menu-1', 'menu-2']);
  });

  it('two contact changes from sys in the same second are both dispatched', async () => {
    const app = makeApp();
    const router = new CallbackRouter({ app });
    const members: string[] = [];
    router.on('event.change_contact.create_user', (evt) => {
      members.push(evt.memberId);
    });
    const t = 1_700_000_000;
    const change = (user: string) =>
      eventXml(
        app,
        'change_contact',
        { ChangeType: 'create_user', UserID: user },
        { from: 'sys', createTime: t },
      );
    await post(router, callbackFor(app, change('u1')));
    await post(router, callbackFor(app, change('u2')));
    await post(router, callbackFor(app, change('u1')));
    expect(members).toEqual(['u1', 'u2']);
  });

  it('keys are scoped per app: the same MsgId in two apps is two messages', async () => {
    const a = makeApp();
    const b = makeApp();
    const router = new CallbackRouter({ apps: [a, b] });
    const seen: string[] = [];
    router.on('text', (_msg, ctx) => {
      seen.push(ctx.app.name);
    });
    await post(router, callbackFor(a, textXml(a, 'x', { msgId: '123456789012345678' })));
    await post(router, callbackFor(b, textXml(b, 'x', { msgId: '123456789012345678' })));
    expect(seen).toEqual([a.name, b.name]);
  });

  it('dedup lives on the Store: two routers (replicas) sharing one store dispatch once', async () => {
    const app = makeApp();
    const store = new MemoryStore();
    const r1 = new CallbackRouter({ app, store });
    const r2 = new CallbackRouter({ app, store });
    let count = 0;
    for (const r of [r1, r2]) {
      r.on('text', () => {
        count++;
      });
    }
    const message = textXml(app, 'x');
    await post(r1, callbackFor(app, message));
    await post(r2, callbackFor(app, message));
    expect(count).toBe(1);
  });
});
