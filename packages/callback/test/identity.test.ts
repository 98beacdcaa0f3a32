import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChatId, CallbackRouter, parseChatId, WeComTargetError } from '../src/index.js';
import { type FakeWeCom, startFakeWeCom } from './fake-wecom.js';
import { callbackFor, deferred, makeApp, post, textXml } from './helpers.js';

describe('chat ids', () => {
  it('build and parse corpId:agentId:userId', () => {
    const id = buildChatId('wwcorp', 1000002, 'zhangsan');
    expect(id).toBe('wwcorp:1000002:zhangsan');
    expect(parseChatId(id)).toEqual({ kind: 'app', corpId: 'wwcorp', agentId: 1000002, userId: 'zhangsan' });
  });

  it('parse the reference corpId:userId form and bare ids', () => {
    expect(parseChatId('wwcorp:lisi')).toEqual({ kind: 'corp', corpId: 'wwcorp', userId: 'lisi' });
    expect(parseChatId('lisi')).toEqual({ kind: 'user', userId: 'lisi' });
  });

  it('refuse malformed ids with WeComTargetError invalid_chat_id', () => {
    for (const bad of ['', 'a::b', 'a:b:c:d', 'c:notanumber:u', 'has space']) {
      const error = (() => {
        try {
          parseChatId(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(WeComTargetError);
      expect((error as WeComTargetError).code).toBe('invalid_chat_id');
    }
    expect(() => buildChatId('c', 'x', 'u')).toThrow(WeComTargetError);
    expect(() => buildChatId('c:d', 1, 'u')).toThrow(WeComTargetError);
  });
});

describe('router.resolve / send: the app encoded in the id, never a silent fallback', () => {
  const a = makeApp();
  const b = makeApp({ corpId: a.corpId }); // same corp, second app
  const c = makeApp(); // other corp
  let wecom: FakeWeCom;
  let router: CallbackRouter;

  beforeAll(async () => {
    wecom = await startFakeWeCom({ apps: [a, b, c] });
    router = new CallbackRouter({ apps: [a, b, c], http: { baseUrl: wecom.baseUrl } });
  });
  afterAll(async () => {
    await wecom.close();
  });

  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as WeComTargetError).code;
    }
    return 'resolved';
  };

  it('corpId:agentId:userId picks the app exactly', () => {
    expect(router.resolve(`${b.corpId}:${b.agentId}:u1`)).toMatchObject({
      app: { name: b.name },
      userId: 'u1',
    });
  });

  it('corpId:userId only when one app of that corp is configured', () => {
    expect(router.resolve(`${c.corpId}:u2`)).toMatchObject({
      app: { name: c.name },
      chatId: `${c.corpId}:${c.agentId}:u2`,
    });
    expect(code(() => router.resolve(`${a.corpId}:u2`))).toBe('ambiguous_target');
  });

  it('bare ids are ambiguous with several apps; unknown corps and agents are unknown', () => {
    expect(code(() => router.resolve('u3'))).toBe('ambiguous_target');
    expect(code(() => router.resolve('wwnobody:u3'))).toBe('unknown_target');
    expect(code(() => router.resolve(`${a.corpId}:999:u3`))).toBe('unknown_target');
    expect(code(() => router.resolve({ app: 'ghost', userId: 'u' }))).toBe('unknown_target');
    expect(router.resolve({ app: a.name, userId: 'u' }).chatId).toBe(`${a.corpId}:${a.agentId}:u`);
  });

  it('send to an unknown or ambiguous target is an explicit error and makes no API call', async () => {
    const before = wecom.calls().length;
    await expect(router.send('u3', 'x')).rejects.toMatchObject({ code: 'ambiguous_target' });
    await expect(router.send('wwnobody:u3', 'x')).rejects.toMatchObject({ code: 'unknown_target' });
    expect(wecom.calls().length).toBe(before);
  });

  it("the ctx.chatId of an inbound message sends back through that app's token and agentid", async () => {
    const got = deferred<string>();
    router.once('text', (_m, ctx) => {
      got.resolve(ctx.chatId);
    });
    await post(router, callbackFor(b, textXml(b, 'hello', { from: 'zhangsan' })));
    const chatId = await got.promise;
    expect(chatId).toBe(`${b.corpId}:${b.agentId}:zhangsan`);
    await router.send(chatId, 'proactive hello');
    const send = wecom.calls('/cgi-bin/message/send').at(-1)!;
    expect(send.tokenOwner).toBe(b.corpSecret);
    expect(send.json).toMatchObject({
      agentid: b.agentId,
      touser: 'zhangsan',
      text: { content: 'proactive hello' },
    });
  });

  it('a single-app router resolves bare ids to that app', () => {
    const solo = new CallbackRouter({ app: makeApp() });
    expect(solo.resolve('lonely').app.name).toBe(solo.apps[0]!.name);
  });
});
