import { inspect } from 'node:util';
import { createConsoleLogger } from '@maven/wecom-core';
import { describe, expect, it } from 'vitest';
import { AccessTokenCache, CallbackRouter, type ReplyFailedInfo } from '../src/index.js';
import { startFakeWeCom } from './fake-wecom.js';
import { callbackFor, captureLogger, deferred, makeApp, post, textXml } from './helpers.js';

describe('no secret in any log line or error message', () => {
  it('token, EncodingAESKey, corpSecret and access tokens never appear', async () => {
    const a = makeApp();
    const b = makeApp();
    const wrong = makeApp();
    const wecom = await startFakeWeCom({
      apps: [a, { corpId: b.corpId, corpSecret: 'b-real-secret-is-different' }],
    });
    const { logger, lines } = captureLogger();
    const consoleLines: string[] = [];
    const consoleLogger = createConsoleLogger({
      level: 'debug',
      write: (_l, line) => consoleLines.push(line),
    });
    const errors: unknown[] = [];
    const failures: ReplyFailedInfo[] = [];

    // 1. Misconfiguration at construction.
    try {
      new CallbackRouter({
        apps: [a, { ...wrong, encodingAESKey: `${wrong.encodingAESKey.slice(0, 42)}!` }],
      });
    } catch (e) {
      errors.push(e);
    }

    const router = new CallbackRouter({
      apps: [a, b],
      http: { baseUrl: wecom.baseUrl, retry: { backoff: { baseMs: 1 } }, logger: consoleLogger },
      logger,
      deadlineMs: 0,
      rateLimitRetry: { baseMs: 1 },
    });
    router.on('reply.failed', (info) => {
      failures.push(info);
    });
    const release = deferred();
    router.on('text', async (_m, ctx) => {
      await release.promise;
      await ctx.reply('late reply').catch((e: unknown) => errors.push(e));
    });

    // 2. Bad inbound requests.
    await post(router, callbackFor(wrong, textXml(wrong, 'x')));
    await post(router, { search: '?msg_signature=x&timestamp=1&nonce=2', body: '<!DOCTYPE x><xml/>' });
    await post(router, callbackFor(a, textXml(a, 'stale'), { timestamp: 1000 }));

    // 3. Token refresh after 42001, rate limits, -1, a payload error.
    await router.send(`${a.corpId}:${a.agentId}:u`, 'warm');
    wecom.expireAll();
    await router.send(`${a.corpId}:${a.agentId}:u`, 'after expiry');
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 45009 });
    wecom.inject({ path: '/cgi-bin/message/send', errcode: -1 });
    await router.send(`${a.corpId}:${a.agentId}:u`, 'busy');
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 60020 });
    await router.send(`${a.corpId}:${a.agentId}:u`, 'ip').catch((e: unknown) => errors.push(e));

    // 4. gettoken configuration error (app b's secret is wrong) through a late reply.
    await post(router, callbackFor(b, textXml(b, 'needs token')));
    release.resolve();
    await router.close();
    await router.send(`${b.corpId}:${b.agentId}:u`, 'x').catch((e: unknown) => errors.push(e));

    // 5. Network error: the API is gone.
    await wecom.close();
    await router.send(`${a.corpId}:${a.agentId}:u`, 'x').catch((e: unknown) => errors.push(e));
    await router
      .api(a.name)
      .getMedia('m1')
      .catch((e: unknown) => errors.push(e));

    // 6. A standalone cache with a console logger.
    const cache = new AccessTokenCache({
      corpId: a.corpId,
      corpSecret: a.corpSecret,
      agentId: a.agentId,
      http: { baseUrl: wecom.baseUrl },
      logger: consoleLogger,
    });
    await cache.get().catch((e: unknown) => errors.push(e));

    const secrets = [a, b, wrong].flatMap((app) => [app.token, app.encodingAESKey, app.corpSecret]);
    secrets.push(...wecom.issued);
    expect(wecom.issued.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeGreaterThan(5);
    const texts = [
      ...lines,
      ...consoleLines,
      ...errors.map((e) => `${String((e as Error).message)} ${String((e as Error).stack)}`),
      ...failures.map((f) => String((f.error as Error).message)),
      inspect(router, { depth: 6 }),
      JSON.stringify(router),
      JSON.stringify(cache),
      inspect(router.api(a.name), { depth: 6 }),
    ];
    for (const text of texts) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/access_token=(?!\[redacted\])[^&\s"]+/);
    }
  });
});
