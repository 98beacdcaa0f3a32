import { isWeComError, WeComConfigError } from '@maven/wecom-core';
import { describe, expect, it } from 'vitest';
import { CallbackRouter } from '../src/index.js';
import {
  callbackFor,
  captureLogger,
  eventXml,
  makeApp,
  newKey,
  post,
  textXml,
  verificationFor,
} from './helpers.js';

function routedNames(router: CallbackRouter): string[] {
  const names: string[] = [];
  router.on('callback', (_cb, ctx) => {
    names.push(ctx.app.name);
  });
  return names;
}

describe('multi-app routing matrix (shared endpoint)', () => {
  it('match: each callback goes to the one app whose signature matches', async () => {
    const a = makeApp();
    const b = makeApp();
    const router = new CallbackRouter({ apps: [a, b] });
    const names = routedNames(router);
    expect((await post(router, callbackFor(b, textXml(b, 'to b')))).status).toBe(200);
    expect((await post(router, callbackFor(a, textXml(a, 'to a')))).status).toBe(200);
    expect(names).toEqual([b.name, a.name]);
  });

  it('none: no app matches the signature → 401 no_matching_app', async () => {
    const a = makeApp();
    const stranger = makeApp();
    const router = new CallbackRouter({ apps: [a] });
    const names = routedNames(router);
    const out = await post(router, callbackFor(stranger, textXml(stranger, 'x')));
    expect(out).toMatchObject({ status: 401, body: 'no_matching_app' });
    expect(names).toEqual([]);
  });

  it('conflict resolved by AgentID: same corp, same token and key, different agents', async () => {
    const a = makeApp();
    const b = makeApp({ corpId: a.corpId, token: a.token, encodingAESKey: a.encodingAESKey });
    const router = new CallbackRouter({ apps: [a, b] });
    const names = routedNames(router);
    await post(router, callbackFor(b, textXml(b, 'for b')));
    await post(router, callbackFor(a, textXml(a, 'for a')));
    expect(names).toEqual([b.name, a.name]);
  });

  it('conflict resolved by ToUserName: same token and key, different corps (receiveId enforced)', async () => {
    const a = makeApp();
    const b = makeApp({ token: a.token, encodingAESKey: a.encodingAESKey, agentId: a.agentId });
    const router = new CallbackRouter({ apps: [a, b] });
    const names = routedNames(router);
    await post(router, callbackFor(b, textXml(b, 'for b')));
    expect(names).toEqual([b.name]);
  });

  it('conflict refused: still ambiguous after ToUserName/AgentID → 400 ambiguous_app, never the first app', async () => {
    const a = makeApp();
    const b = makeApp({ corpId: a.corpId, token: a.token, encodingAESKey: a.encodingAESKey });
    const { logger, lines } = captureLogger();
    const router = new CallbackRouter({ apps: [a, b], logger });
    const names = routedNames(router);
    // A contact event carries no AgentID in its plaintext; remove the (unsigned) envelope one too.
    const cb = callbackFor(
      a,
      eventXml(
        a,
        'change_contact',
        { ChangeType: 'delete_user', UserID: 'u1' },
        { from: 'sys', agentId: false },
      ),
    );
    const body = cb.body.replace(/<AgentID>.*<\/AgentID>/, '');
    const out = await post(router, { search: cb.search, body });
    expect(out).toMatchObject({ status: 400, body: 'ambiguous_app' });
    expect(names).toEqual([]);
    expect(lines.some((l) => l.includes('several apps'))).toBe(true);
    // The envelope's AgentID (when present) settles it.
    const ok = await post(
      router,
      callbackFor(
        b,
        eventXml(
          b,
          'change_contact',
          { ChangeType: 'delete_user', UserID: 'u2' },
          { from: 'sys', agentId: false },
        ),
      ),
    );
    expect(ok.status).toBe(200);
    expect(names).toEqual([b.name]);
  });

  it('a signed message addressed to another agent than the matching app is refused', async () => {
    const a = makeApp();
    const router = new CallbackRouter({ apps: [a] });
    const names = routedNames(router);
    const out = await post(
      router,
      callbackFor(a, textXml({ corpId: a.corpId, agentId: 999 }, 'x'), { agentId: 999 }),
    );
    expect(out).toMatchObject({ status: 401, body: 'no_matching_app' });
    expect(names).toEqual([]);
  });

  it('receiveId is always the app CorpID: a frame for another corp is refused', async () => {
    const a = makeApp();
    const router = new CallbackRouter({ apps: [a] });
    const out = await post(
      router,
      callbackFor({ ...a, corpId: 'wwother' }, textXml({ ...a, corpId: 'wwother' }, 'x')),
    );
    expect(out).toMatchObject({ status: 400, body: 'receive_id_mismatch' });
  });

  it('GET verification tries every app whose signature matches', async () => {
    const a = makeApp();
    const b = makeApp();
    const router = new CallbackRouter({ apps: [a, b] });
    const v = verificationFor(b, '123456789');
    const out = await router.receive({ method: 'GET', url: `/wecom/callback${v.search}` });
    expect(out).toMatchObject({ status: 200, body: '123456789' });
  });
});

describe('path-per-app routing', () => {
  it('/wecom/callback/<name> only tries that app; unknown names are 404', async () => {
    const a = makeApp();
    const b = makeApp();
    const router = new CallbackRouter({ apps: [a, b] });
    const names = routedNames(router);
    expect((await post(router, callbackFor(b, textXml(b, 'x')), `/wecom/callback/${b.name}`)).status).toBe(
      200,
    );
    const wrong = await post(router, callbackFor(a, textXml(a, 'x')), `/wecom/callback/${b.name}`);
    expect(wrong).toMatchObject({ status: 401, body: 'no_matching_app' });
    expect((await post(router, callbackFor(a, textXml(a, 'x')), '/wecom/callback/nobody')).status).toBe(404);
    expect(router.matches(`/wecom/callback/${a.name}`)).toBe(true);
    expect(router.matches('/wecom/callback/nobody')).toBe(false);
    expect(names).toEqual([b.name]);
    const v = verificationFor(a, '42');
    expect(
      await router.receive({ method: 'GET', url: `/wecom/callback/${a.name}${v.search}` }),
    ).toMatchObject({
      status: 200,
      body: '42',
    });
  });

  it('a custom path', async () => {
    const a = makeApp();
    const router = new CallbackRouter({ app: a, path: '/hooks/wecom/' });
    expect(router.path).toBe('/hooks/wecom');
    expect((await post(router, callbackFor(a, textXml(a, 'x')), '/hooks/wecom')).status).toBe(200);
  });
});

describe('misconfiguration fails the constructor, naming the app and never its secrets', () => {
  const good = makeApp();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['bad key length', { encodingAESKey: 'short' }, /app "broken": encodingAESKey must be exactly 43/],
    ['empty token', { token: '' }, /app "broken": token must be a non-empty string/],
    ['bad agentId', { agentId: 'abc' }, /app "broken": agentId must be/],
    ['unknown key', { secret: 'x' }, /app "broken": unknown option "secret"/],
    ['empty corpId', { corpId: '' }, /app "broken": corpId/],
  ];
  it.each(cases)('%s', (_label, override, message) => {
    const broken = { ...makeApp({ name: 'broken' }), ...override };
    let error: unknown;
    try {
      new CallbackRouter({ apps: [good, broken as never] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeComConfigError);
    expect(isWeComError(error) && error.code).toBe('invalid_config');
    const text = String((error as Error).message);
    expect(text).toMatch(message);
    for (const secret of [
      broken.token,
      broken.encodingAESKey,
      broken.corpSecret,
      good.token,
      good.encodingAESKey,
    ]) {
      if (typeof secret === 'string' && secret.length >= 6) expect(text).not.toContain(secret);
    }
  });

  it('duplicate names and duplicate corp+agent pairs', () => {
    const a = makeApp();
    expect(() => new CallbackRouter({ apps: [a, { ...makeApp(), name: a.name }] })).toThrow(
      /duplicate app name/,
    );
    expect(
      () => new CallbackRouter({ apps: [a, { ...makeApp(), corpId: a.corpId, agentId: a.agentId }] }),
    ).toThrow(/same corpId and agentId/);
  });

  it('router options are validated eagerly', () => {
    const a = makeApp();
    expect(() => new CallbackRouter({ apps: [a], deadlineMs: 6000 })).toThrow(/deadlineMs/);
    expect(() => new CallbackRouter({ apps: [a], colour: 'red' } as never)).toThrow(
      /unknown option "colour"/,
    );
    expect(() => new CallbackRouter({ apps: [a], app: a })).toThrow(/either apps/);
    expect(() => new CallbackRouter({ apps: [] })).toThrow(/non-empty/);
    expect(() => new CallbackRouter({ apps: [a], path: 'no-slash' })).toThrow(/path/);
    expect(() => new CallbackRouter({ apps: [a], allowFrom: { users: 'bob' as never } })).toThrow(/allow/);
  });

  it('the other apps work in a router built without the misconfigured one', async () => {
    const a = makeApp();
    const b = makeApp();
    expect(() => new CallbackRouter({ apps: [a, { ...b, encodingAESKey: newKey().slice(0, 40) }] })).toThrow(
      WeComConfigError,
    );
    const router = new CallbackRouter({ apps: [a] });
    const names = routedNames(router);
    expect((await post(router, callbackFor(a, textXml(a, 'still fine')))).status).toBe(200);
    expect(names).toEqual([a.name]);
  });

  it('single-app shorthand names the app "default"', () => {
    const { name: _name, ...rest } = makeApp();
    const router = new CallbackRouter({ app: rest });
    expect(router.apps.map((a) => a.name)).toEqual(['default']);
    expect(JSON.stringify(router)).not.toContain(rest.token);
  });
});

describe('routing many apps on one endpoint', () => {
  const corpId = makeApp().corpId;
  const apps = Array.from({ length: 100 }, () => makeApp({ corpId }));

  it('routes to the app whose signature matches, among 100', async () => {
    const router = new CallbackRouter({ apps });
    const names = routedNames(router);
    for (const target of [apps[99]!, apps[0]!, apps[42]!]) {
      expect((await post(router, callbackFor(target, textXml(target, 'hi')))).status).toBe(200);
    }
    expect(names).toEqual([apps[99]!.name, apps[0]!.name, apps[42]!.name]);
  });

  it('a clear-text AgentID naming another app is only a hint: the signature still decides', async () => {
    const router = new CallbackRouter({ apps });
    const names = routedNames(router);
    const target = apps[99]!;
    const forged = callbackFor(target, textXml(target, 'hi'), { agentId: apps[0]!.agentId });
    expect((await post(router, forged)).status).toBe(200);
    expect(names).toEqual([target.name]);
  });

  it('apps sharing a token are all candidates, then narrowed by the decrypted AgentID', async () => {
    const shared = makeApp({ corpId });
    const twin = makeApp({ corpId, token: shared.token, encodingAESKey: shared.encodingAESKey });
    const router = new CallbackRouter({ apps: [...apps.slice(0, 10), shared, twin] });
    const names = routedNames(router);
    expect((await post(router, callbackFor(twin, textXml(twin, 'to the twin')))).status).toBe(200);
    expect(names).toEqual([twin.name]);
  });
});
