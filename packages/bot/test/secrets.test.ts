/** No secret (Token, EncodingAESKey, response_code) in any log line, error message or event. */

import { isWeComError } from '@maven/wecom-core';
import { botImage, botText, buildBotCallback, buildBotVerification } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWeComBot, type DeliveryResult } from '../src/index.js';
import { type FakeWeCom, gate, KEY, makeBot, post, startFakeWeCom, TOKEN } from './helpers.js';

let wecom: FakeWeCom;
beforeAll(async () => {
  wecom = await startFakeWeCom();
});
afterAll(() => wecom.close());

describe('secrets stay out of logs and errors', () => {
  it('after a tour of failures, no log line or error mentions the token, the key or a response_code', async () => {
    const t = makeBot();
    const logged: string[] = [];
    const capture = (level: string) => (message: string, fields?: Record<string, unknown>) => {
      logged.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
    const bot = createWeComBot({
      token: TOKEN,
      encodingAESKey: KEY,
      deadlineMs: 100,
      http: { retry: { backoff: { baseMs: 1, jitter: 0 } } },
      logger: {
        debug: capture('debug'),
        info: capture('info'),
        warn: capture('warn'),
        error: capture('error'),
      },
    });
    const errors: unknown[] = [];
    const results: DeliveryResult[] = [];
    bot.on('error', (e) => {
      errors.push(e);
    });
    bot.on('reply.failed', (r) => {
      results.push(r);
    });
    const done = gate();
    bot.on('text', async (m, ctx) => {
      if (m.text === 'boom') throw new Error(`listener failed while holding ${TOKEN}`);
      await new Promise((r) => setTimeout(r, 150));
      await ctx.reply('late');
      done.open();
    });
    bot.on('image', async (_m, ctx) => {
      errors.push(await ctx.downloadMedia().catch((e: unknown) => e));
    });

    const secretUrl = wecom.responseUrl([{ json: { errcode: 44004, errmsg: `bad content ${KEY}` } }]);
    await post(bot, botText({ content: 'late', responseUrl: secretUrl }));
    await post(bot, botText({ content: 'boom' }));
    await post(bot, botImage({ url: 'http://127.0.0.1:1/media?response_code=SECRETCODE' }));
    await post(bot, botText({ content: 'x' }), { token: 'wrong-token-123' });
    await post(bot, botText({ content: 'x' }), { timestamp: 1 });
    const v = buildBotVerification({ token: TOKEN, encodingAESKey: KEY });
    await bot.receive({ method: 'GET', url: `/x${v.search}&extra=${TOKEN}` });
    const cb = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message: 'not json' });
    await bot.receive({ method: 'POST', url: `/x${cb.search}`, body: cb.body });
    await bot.reply({ msgId: 'unknown' }, 'x').catch((e: unknown) => errors.push(e));
    bot.skipProactive({ job: 'daily-report' });
    await done.promise;
    await bot.close({ timeoutMs: 2000 });
    await t.bot.close();

    expect(results.some((r) => !r.ok && r.reason === 'api_error')).toBe(true);
    expect(errors.filter(isWeComError).length).toBeGreaterThanOrEqual(2);
    // The listener error was logged, redacted.
    expect(logged.some((l) => l.includes('listener failed while holding [redacted]'))).toBe(true);
    const code = new URL(secretUrl).searchParams.get('response_code')!;
    const texts = [
      ...logged,
      // The listener's own error is the caller's text: only the SDK's errors are checked.
      ...errors
        .filter(isWeComError)
        .map((e) => `${(e as Error).message} ${String((e as Error).cause ?? '')}`),
      ...results.map((r) => (!r.ok ? r.error.message : '')),
      JSON.stringify(bot),
    ];
    expect(logged.length).toBeGreaterThan(5);
    for (const text of texts) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(code);
      expect(text).not.toContain('SECRETCODE');
    }
    expect(logged.some((l) => l.startsWith('warn') && l.includes('reactive-only'))).toBe(true);
  });

  it('config errors do not echo the key', () => {
    const badKey = `${KEY.slice(0, 40)}!!!`;
    let message = '';
    try {
      createWeComBot({ token: TOKEN, encodingAESKey: badKey });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/encodingAESKey/);
    expect(message).not.toContain(badKey);
  });
});
