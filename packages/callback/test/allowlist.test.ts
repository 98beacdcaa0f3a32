import { describe, expect, it } from 'vitest';
import { allowlistFromEnv, CallbackRouter, compileAllowlist, type DeniedInfo } from '../src/index.js';
import { callbackFor, captureLogger, eventXml, makeApp, post, textXml } from './helpers.js';

describe('allowlistFromEnv (the reference adapter variables)', () => {
  it('reads WECOM_CALLBACK_ALLOWED_USERS as a comma list', () => {
    expect(allowlistFromEnv({ WECOM_CALLBACK_ALLOWED_USERS: ' zhangsan, lisi ,,wangwu ' })).toEqual({
      users: ['zhangsan', 'lisi', 'wangwu'],
    });
  });

  it("'*' or WECOM_CALLBACK_ALLOW_ALL_USERS=true/1/yes allow everyone", () => {
    expect(allowlistFromEnv({ WECOM_CALLBACK_ALLOWED_USERS: 'a,*' })).toEqual({ allowAll: true });
    for (const value of ['true', '1', 'yes', 'YES', ' True ']) {
      expect(allowlistFromEnv({ WECOM_CALLBACK_ALLOW_ALL_USERS: value })).toEqual({ allowAll: true });
    }
    expect(
      allowlistFromEnv({ WECOM_CALLBACK_ALLOW_ALL_USERS: 'false', WECOM_CALLBACK_ALLOWED_USERS: 'a' }),
    ).toEqual({
      users: ['a'],
    });
  });

  it('nothing set: nobody (reference behaviour), unless whenUnset is "allow"', () => {
    const policy = allowlistFromEnv({});
    expect(policy).toEqual({ users: [] });
    expect(compileAllowlist(policy)({ corpId: 'c', agentId: 1, userId: 'anyone' })).toBe(false);
    expect(allowlistFromEnv({ WECOM_CALLBACK_ALLOW_ALL_USERS: 'no' }, { whenUnset: 'allow' })).toEqual({
      allowAll: true,
    });
    expect(() => allowlistFromEnv({}, { whenUnset: 'maybe' as never })).toThrow(/whenUnset/);
  });
});

describe('matching on the scoped identity', () => {
  const check = compileAllowlist({ users: ['ZhangSan', 'wwA:lisi', 'wwA:1000002:wangwu'] });
  it('bare ids match in every app, case-insensitively', () => {
    expect(check({ corpId: 'wwA', agentId: 1, userId: 'zhangsan' })).toBe(true);
    expect(check({ corpId: 'wwB', agentId: 2, userId: 'ZHANGSAN' })).toBe(true);
  });
  it('corpId:userId only in that corp (no cross-corp leakage)', () => {
    expect(check({ corpId: 'wwA', agentId: 7, userId: 'lisi' })).toBe(true);
    expect(check({ corpId: 'wwB', agentId: 7, userId: 'lisi' })).toBe(false);
  });
  it('corpId:agentId:userId only in that app', () => {
    expect(check({ corpId: 'wwA', agentId: 1000002, userId: 'wangwu' })).toBe(true);
    expect(check({ corpId: 'wwA', agentId: 1000003, userId: 'wangwu' })).toBe(false);
  });
  it('undefined policy allows everyone; an empty list nobody; bad entries are refused', () => {
    expect(compileAllowlist(undefined)({ corpId: 'x', agentId: 1, userId: 'y' })).toBe(true);
    expect(compileAllowlist({ users: [] })({ corpId: 'x', agentId: 1, userId: 'y' })).toBe(false);
    expect(compileAllowlist({ users: ['*'] })({ corpId: 'x', agentId: 1, userId: 'y' })).toBe(true);
    expect(() => compileAllowlist({ users: ['a:b:c:d'] })).toThrow(/entries/);
    expect(() => compileAllowlist({ users: ['a:x:c'] })).toThrow(/agentId/);
    expect(() => compileAllowlist({ everyone: true } as never)).toThrow(/unknown option/);
  });
});

describe('the router applies the allowlist before dispatch', () => {
  it('default (no allow option): everyone is dispatched', async () => {
    const app = makeApp();
    const router = new CallbackRouter({ app });
    const seen: string[] = [];
    router.on('text', (m) => {
      seen.push(m.userId);
    });
    await post(router, callbackFor(app, textXml(app, 'x', { from: 'stranger' })));
    expect(seen).toEqual(['stranger']);
  });

  it('denied users are acknowledged (200), not dispatched, reported as "denied" and logged at info', async () => {
    const a = makeApp();
    const b = makeApp();
    const { logger, lines } = captureLogger();
    const router = new CallbackRouter({
      apps: [a, b],
      allowFrom: { users: [`${a.corpId}:zhangsan`] },
      logger,
    });
    const seen: string[] = [];
    const denied: DeniedInfo[] = [];
    router.on('callback', (cb, ctx) => {
      seen.push(`${ctx.app.name}:${cb.userId}`);
    });
    router.on('denied', (info) => {
      denied.push(info);
    });
    expect(await post(router, callbackFor(a, textXml(a, 'ok', { from: 'zhangsan' })))).toMatchObject({
      status: 200,
    });
    const refused = await post(
      router,
      callbackFor(b, textXml(b, 'same name, other corp', { from: 'zhangsan' })),
    );
    expect(refused).toMatchObject({ status: 200, body: '' });
    expect(seen).toEqual([`${a.name}:zhangsan`]);
    expect(denied).toEqual([
      expect.objectContaining({
        app: b.name,
        userId: 'zhangsan',
        chatId: `${b.corpId}:${b.agentId}:zhangsan`,
      }),
    ]);
    expect(lines.some((l) => l.startsWith('info sender not in allowFrom'))).toBe(true);
  });

  it('system callbacks (FromUserName "sys") are not subject to the user allowlist', async () => {
    const app = makeApp();
    const router = new CallbackRouter({ app, allowFrom: allowlistFromEnv({}) });
    const seen: string[] = [];
    router.on('callback', (cb) => {
      seen.push(cb.userId);
    });
    await post(router, callbackFor(app, textXml(app, 'x', { from: 'someone' })));
    await post(
      router,
      callbackFor(
        app,
        eventXml(app, 'change_contact', { ChangeType: 'delete_user', UserID: 'u' }, { from: 'sys' }),
      ),
    );
    expect(seen).toEqual(['sys']);
  });
});
