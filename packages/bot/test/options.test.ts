import { describe, expect, it } from 'vitest';
import { createWeComBot, WeComBot, type WeComBotOptions } from '../src/index.js';
import { KEY, TOKEN } from './helpers.js';

function codeOf(options: unknown): string {
  try {
    new WeComBot(options as WeComBotOptions);
    return 'ok';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
}

describe('options are validated eagerly', () => {
  const base = { token: TOKEN, encodingAESKey: KEY };

  it('accepts the minimal config and reports truthful capabilities', () => {
    const bot = createWeComBot(base);
    expect(bot.capabilities).toEqual({
      reactiveOnly: true,
      streaming: true,
      templateCards: true,
      fileUpload: false,
      transport: 'webhook',
    });
    expect(Object.isFrozen(bot.capabilities)).toBe(true);
    expect(bot.maxBodyBytes).toBe(64 * 1024);
    expect(bot.matches('/anything')).toBe(true);
    expect(JSON.stringify(bot)).not.toContain(TOKEN);
  });

  it.each([
    [{ ...base, tokn: 'x' }, /unknown option "tokn"/],
    [{ ...base, http: { timeout: 1 } }, /http: unknown option "timeout"/],
    [{ ...base, media: { maxbytes: 1 } }, /media: unknown option "maxbytes"/],
    [{ ...base, token: '' }, /token/],
    [{ ...base, encodingAESKey: 'short' }, /43/],
    [{ ...base, deadlineMs: 5000 }, /deadlineMs must be a number from 0 to 4999/],
    [{ ...base, deadlineMs: -1 }, /deadlineMs/],
    [{ ...base, ack: 'ok' }, /ack/],
    [{ ...base, reactiveOnly: false }, /reactiveOnly must be true/],
    [{ ...base, path: 'wecom' }, /path/],
    [{ ...base, path: [] }, /path/],
    [{ ...base, allowFrom: 'zhangsan' }, /allowFrom/],
    [{ ...base, store: {} }, /Store/],
    [{ ...base, logger: { info() {} } }, /logger/],
    [{ ...base, media: { protocols: ['https'] } }, /protocols/],
    [{ ...base, timestampWindow: -1 }, /timestampWindow/],
    [{ ...base, aibotId: '' }, /aibotId/],
    [{ ...base, receiveId: 5 }, /receiveId/],
    [{ ...base, streamWindowMs: Number.NaN }, /streamWindowMs/],
    [null, /options/],
  ])('refuses %j', (options, message) => {
    const out = codeOf(options);
    expect(out).toMatch(/^invalid_config: /);
    expect(out).toMatch(message);
  });

  it('accepts every documented option', () => {
    expect(
      codeOf({
        ...base,
        receiveId: '',
        aibotId: 'bot-1',
        path: ['/wecom/bot'],
        allowFrom: ['a'],
        dedupTtlMs: 1000,
        deadlineMs: 4999,
        ack: 'success',
        maxBodyBytes: 1024,
        maxConcurrent: 10,
        http: { fetch: globalThis.fetch, timeoutMs: 100, retry: { attempts: 2 } },
        media: { maxBytes: 10, protocols: ['https:'], hosts: ['.qq.com'], timeoutMs: 10 },
        streamWindowMs: 1000,
        responseUrlTtlMs: 1000,
        truncationMarker: '…',
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        timestampWindow: false,
        reactiveOnly: true,
        now: () => 0,
      }),
    ).toBe('ok');
  });
});
