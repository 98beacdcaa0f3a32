import { MemoryStore } from '@maven/wecom-core';
import { botText } from '@maven/wecom-testing';
import { describe, expect, it } from 'vitest';
import { type DeliveryResult, WeComBotError } from '../src/index.js';
import { type Behaviour, botSuite, gate, listen, makeBot, post, type TestBot, utf8Bytes } from './helpers.js';

const suite = botSuite(3000);
const setup = suite.setup;

/** The markdown content of the first POST to `url`. */
function markdownSent(url: string): string {
  const call = suite.wecom.callsFor(url)[0];
  if (!call) throw new Error('nothing was posted');
  return (call.body.markdown as { content: string }).content;
}

/** Gateway style: the message is received (no listener replies), the answer comes later by msgid. */
async function receiveWithUrl(t: TestBot, behaviours: Behaviour[] = [], extra: { chatid?: string } = {}) {
  const url = suite.wecom.responseUrl(behaviours);
  const msg = botText({ content: 'question', responseUrl: url, ...extra });
  expect((await post(t.bot, msg)).status).toBe(200);
  return { url, msgid: msg.msgid };
}

describe('retry classification', () => {
  const retried: [string, Behaviour][] = [
    ['errcode -1', { json: { errcode: -1, errmsg: 'system busy' } }],
    ['errcode 6000', { json: { errcode: 6000, errmsg: 'data version conflict' } }],
    ['HTTP 500', { status: 500 }],
    ['HTTP 502', { status: 502 }],
    ['HTTP 429', { status: 429 }],
  ];
  for (const [name, behaviour] of retried) {
    it(`${name} is retried, then delivered`, async () => {
      const t = setup();
      const { url, msgid } = await receiveWithUrl(t, [behaviour]);
      const result = await t.bot.reply({ msgId: msgid }, 'answer');
      expect(result).toMatchObject({ ok: true, channel: 'response_url', kind: 'markdown', msgId: msgid });
      expect(suite.wecom.callsFor(url)).toHaveLength(2);
      expect(t.delivered).toHaveLength(1);
    });
  }

  it('at most 3 attempts; a busy URL is released, so a later reply can still use it', async () => {
    const t = setup();
    const busy = { json: { errcode: -1, errmsg: 'busy' } };
    const { url, msgid } = await receiveWithUrl(t, [busy, busy, busy]);
    const result = await t.bot.reply({ msgId: msgid }, 'answer');
    expect(result).toMatchObject({ ok: false, reason: 'api_error' });
    expect(suite.wecom.callsFor(url)).toHaveLength(3);
    expect(await t.bot.reply({ msgId: msgid }, 'answer again')).toMatchObject({ ok: true });
    expect(suite.wecom.callsFor(url)).toHaveLength(4);
  });

  it('44004 is not retried and burns the URL', async () => {
    const t = setup();
    const { url, msgid } = await receiveWithUrl(t, [{ json: { errcode: 44004, errmsg: 'empty content' } }]);
    const result = await t.bot.reply({ msgId: msgid }, 'answer');
    expect(result).toMatchObject({ ok: false, reason: 'api_error' });
    if (!result.ok) expect(result.error).toMatchObject({ code: 'api_error', errcode: 44004 });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
    expect(await t.bot.reply({ msgId: msgid }, 'again')).toMatchObject({
      ok: false,
      reason: 'response_url_used',
    });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
    expect(t.failed.map((f) => !f.ok && f.reason)).toEqual(['api_error', 'response_url_used']);
  });

  it('a connection broken after the request was sent is not resent (may have been delivered)', async () => {
    const t = setup();
    const { url, msgid } = await receiveWithUrl(t, [{ destroy: true }]);
    const result = await t.bot.reply({ msgId: msgid }, 'answer');
    expect(result).toMatchObject({ ok: false, reason: 'unknown_outcome' });
    if (!result.ok) expect(result.error).toMatchObject({ code: 'network_error', maybeDelivered: true });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
    expect(await t.bot.reply({ msgId: msgid }, 'again')).toMatchObject({
      ok: false,
      reason: 'response_url_used',
    });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('a timeout after sending is not resent', async () => {
    const t = setup({ http: { timeoutMs: 100, retry: { backoff: { baseMs: 5, jitter: 0 } } } });
    const { url, msgid } = await receiveWithUrl(t, [{ json: { errcode: 0 }, delayMs: 1000 }]);
    const result = await t.bot.reply({ msgId: msgid }, 'answer');
    expect(result).toMatchObject({ ok: false, reason: 'unknown_outcome' });
    if (!result.ok) expect(result.error.code).toBe('timeout');
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('a 2xx that is not JSON is an unknown outcome: reported failed, not resent', async () => {
    const t = setup();
    const { url, msgid } = await receiveWithUrl(t, [{ text: '<html>ok?</html>' }]);
    expect(await t.bot.reply({ msgId: msgid }, 'answer')).toMatchObject({
      ok: false,
      reason: 'unknown_outcome',
    });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('a connection refused (never sent) is retried and the URL released', async () => {
    const dead = await listen(() => {});
    const deadUrl = `${dead.url}/cgi-bin/aibot/response?response_code=dead`;
    await dead.close();
    const t = setup();
    const msg = botText({ content: 'q', responseUrl: deadUrl });
    await post(t.bot, msg);
    const result = await t.bot.reply({ msgId: msg.msgid }, 'answer');
    expect(result).toMatchObject({ ok: false, reason: 'network_error' });
    if (!result.ok) expect(result.error).toMatchObject({ maybeDelivered: false });
    // Released: the next attempt tries again (and fails the same way) rather than reporting "used".
    expect(await t.bot.reply({ msgId: msg.msgid }, 'answer')).toMatchObject({ reason: 'network_error' });
  });
});

describe('single use and targets', () => {
  it('two concurrent replies to one message: one POST, the other reported response_url_used', async () => {
    const t = setup();
    const { url, msgid } = await receiveWithUrl(t, [{ json: { errcode: 0 }, delayMs: 50 }]);
    const results = await Promise.all([
      t.bot.reply({ msgId: msgid }, 'one'),
      t.bot.reply({ msgId: msgid }, 'two'),
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual(['ok', 'response_url_used']);
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('two replicas sharing a Store use a URL once between them', async () => {
    const store = new MemoryStore();
    const a = setup({ store });
    const b = setup({ store });
    const { url, msgid } = await receiveWithUrl(a, [{ json: { errcode: 0 }, delayMs: 50 }]);
    const results = await Promise.all([
      a.bot.reply({ msgId: msgid }, 'from a'),
      b.bot.reply({ msgId: msgid }, 'from b'),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('a handler reply and a later bot.reply for the same message share the single use', async () => {
    const t = setup();
    const answered = gate();
    const handlerResult = gate<DeliveryResult>();
    t.bot.on('text', async (_m, ctx) => {
      await answered.promise;
      handlerResult.open(await ctx.reply('from handler'));
    });
    const url = suite.wecom.responseUrl();
    const msg = botText({ content: 'q', responseUrl: url });
    await post(t.bot, msg);
    answered.open();
    expect(await handlerResult.promise).toMatchObject({ ok: true });
    expect(await t.bot.reply({ msgId: msg.msgid }, 'from gateway')).toMatchObject({
      ok: false,
      reason: 'response_url_used',
    });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('in a busy group each reply uses its own message URL, not the latest of the chat', async () => {
    const t = setup();
    const first = await receiveWithUrl(t, [], { chatid: 'wrgroup-busy' });
    const second = await receiveWithUrl(t, [], { chatid: 'wrgroup-busy' });
    expect(await t.bot.reply({ msgId: first.msgid }, 'to first')).toMatchObject({ ok: true });
    expect(suite.wecom.callsFor(first.url)[0]?.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: 'to first' },
    });
    expect(suite.wecom.callsFor(second.url)).toHaveLength(0);
  });

  it('by chatId: the newest unused URL of the chat, then older ones, then an explicit error', async () => {
    const t = setup();
    const first = await receiveWithUrl(t, [], { chatid: 'wrgroup-fallback' });
    const second = await receiveWithUrl(t, [], { chatid: 'wrgroup-fallback' });
    expect(await t.bot.reply({ chatId: 'wrgroup-fallback' }, 'a')).toMatchObject({
      ok: true,
      msgId: second.msgid,
    });
    expect(await t.bot.reply({ chatId: 'wrgroup-fallback' }, 'b')).toMatchObject({
      ok: true,
      msgId: first.msgid,
    });
    await expect(t.bot.reply({ chatId: 'wrgroup-fallback' }, 'c')).rejects.toMatchObject({
      code: 'unknown_reply_target',
    });
    expect(suite.wecom.callsFor(first.url)).toHaveLength(1);
    expect(suite.wecom.callsFor(second.url)).toHaveLength(1);
  });

  it('by chatId: a chat remembers its 10 newest messages, newest first', async () => {
    const t = setup();
    const received = [];
    for (let i = 0; i < 12; i++) received.push(await receiveWithUrl(t, [], { chatid: 'wrgroup-history' }));
    const used: string[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await t.bot.reply({ chatId: 'wrgroup-history' }, `answer ${i}`);
      used.push(result.msgId ?? '');
    }
    expect(used).toEqual(
      received
        .slice(2)
        .reverse()
        .map((r) => r.msgid),
    );
    await expect(t.bot.reply({ chatId: 'wrgroup-history' }, 'eleventh')).rejects.toMatchObject({
      code: 'unknown_reply_target',
    });
  });

  it('by chatId from a listener: the message being handled, though the chat index is written off the callback path', async () => {
    const t = setup();
    const first = await receiveWithUrl(t, [], { chatid: 'wrgroup-fresh' });
    const replied = new Promise<DeliveryResult>((resolve, reject) => {
      t.bot.on('text', () => {
        t.bot.reply({ chatId: 'wrgroup-fresh' }, 'latest').then(resolve, reject);
      });
    });
    const second = await receiveWithUrl(t, [], { chatid: 'wrgroup-fresh' });
    expect(await replied).toMatchObject({ ok: true, msgId: second.msgid });
    expect(suite.wecom.callsFor(second.url)).toHaveLength(1);
    expect(suite.wecom.callsFor(first.url)).toHaveLength(0);
  });

  it('a failing chat index costs only the chat fallback: the callback is answered, replies by msgid work', async () => {
    const store = new MemoryStore();
    const t = setup({
      store: {
        get: (key) => store.get(key),
        set: (key, value, o) => store.set(key, value, o),
        setIfAbsent: (key, value, o) => store.setIfAbsent(key, value, o),
        compareAndSet: async (key, expected, value, o) => {
          if (key.includes(':chat:')) throw new Error('store down for chats');
          return store.compareAndSet(key, expected, value, o);
        },
        delete: (key) => store.delete(key),
        compareAndDelete: (key, expected) => store.compareAndDelete(key, expected),
      },
    });
    const { url, msgid } = await receiveWithUrl(t, [], { chatid: 'wrgroup-broken' });
    expect(await t.bot.reply({ msgId: msgid }, 'by msgid')).toMatchObject({ ok: true, msgId: msgid });
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
    await expect(t.bot.reply({ chatId: 'wrgroup-broken' }, 'by chat')).rejects.toMatchObject({
      code: 'unknown_reply_target',
    });
    expect(t.logs.some((l) => l.level === 'warn' && l.text.includes('chat reply index'))).toBe(true);
  });

  it('an unknown msgid is an explicit error (and a reply.failed event)', async () => {
    const t = setup();
    const error = await t.bot.reply({ msgId: 'never-seen' }, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeComBotError);
    expect(error).toMatchObject({ code: 'unknown_reply_target' });
    expect(t.failed).toMatchObject([{ ok: false, reason: 'no_target', msgId: 'never-seen' }]);
  });

  it('a remembered URL expires after responseUrlTtlMs', async () => {
    let clock = Date.now();
    const t = setup({ now: () => clock, responseUrlTtlMs: 60_000 });
    const { msgid } = await receiveWithUrl(t);
    clock += 61_000;
    await expect(t.bot.reply({ msgId: msgid }, 'x')).rejects.toMatchObject({ code: 'unknown_reply_target' });
  });

  it('replyCard via response_url by msgid (single chat)', async () => {
    const t = setup();
    const { url, msgid } = await receiveWithUrl(t);
    const card = { card_type: 'text_notice' as const, main_title: { title: 'Done' } };
    expect(await t.bot.replyCard({ msgId: msgid }, card)).toMatchObject({ ok: true, kind: 'template_card' });
    expect(suite.wecom.callsFor(url)[0]?.body).toEqual({ msgtype: 'template_card', template_card: card });
  });
});

describe('truncation at 20480 bytes', () => {
  it('CJK text of exactly 20480 bytes passes whole; one byte more is cut, head kept', async () => {
    const t = setup();
    const exact = `a${'汉'.repeat(6826)}b`;
    expect(utf8Bytes(exact)).toBe(20480);
    const one = await receiveWithUrl(t);
    expect(await t.bot.reply({ msgId: one.msgid }, exact)).toMatchObject({ ok: true });
    expect(t.delivered.at(-1)?.truncated).toBeUndefined();
    expect(markdownSent(one.url)).toBe(exact);

    const two = await receiveWithUrl(t);
    expect(await t.bot.reply({ msgId: two.msgid }, `${exact}c`)).toMatchObject({ ok: true, truncated: true });
    expect(markdownSent(two.url)).toBe(exact);

    const three = await receiveWithUrl(t);
    await t.bot.reply({ msgId: three.msgid }, `${'汉'.repeat(6827)}`);
    const cut = markdownSent(three.url);
    expect(cut).toBe('汉'.repeat(6826));
    expect(utf8Bytes(cut)).toBe(20478);
  });

  it('never splits a surrogate pair; the marker fits inside the limit', async () => {
    const t = setup({ truncationMarker: '…' });
    const { url, msgid } = await receiveWithUrl(t);
    await t.bot.reply({ msgId: msgid }, `${'a'.repeat(20474)}🙂🙂`);
    const content = markdownSent(url);
    expect(content).toBe(`${'a'.repeat(20474)}…`);
    expect(utf8Bytes(content)).toBe(20477);
  });
});

describe('close()', () => {
  it('drains background deliveries before resolving', async () => {
    const t = makeBot();
    const { url, msgid } = await receiveWithUrl(t, [{ json: { errcode: 0 }, delayMs: 150 }]);
    void t.bot.reply({ msgId: msgid }, 'slow answer');
    await t.bot.close({ timeoutMs: 3000 });
    expect(t.delivered).toMatchObject([{ ok: true, channel: 'response_url' }]);
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
  });

  it('aborts what is still in flight at the timeout and reports it; refuses later replies', async () => {
    const t = makeBot();
    const first = await receiveWithUrl(t, [{ json: { errcode: 0 }, delayMs: 3000 }]);
    const second = await receiveWithUrl(t);
    const pending = t.bot.reply({ msgId: first.msgid }, 'too slow');
    await t.bot.close({ timeoutMs: 50 });
    expect(await pending).toMatchObject({ ok: false, reason: 'closed' });
    expect(await t.bot.reply({ msgId: second.msgid }, 'after close')).toMatchObject({
      ok: false,
      reason: 'closed',
    });
    expect((await post(t.bot, botText({ content: 'x' }))).status).toBe(503);
  });
});

describe('while the Store is down (fail-open)', () => {
  /** A MemoryStore whose every operation fails once `down` is set, like a Redis that went away. */
  function flakyStore() {
    const inner = new MemoryStore();
    const state = { down: false };
    const guard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> =>
        state.down ? Promise.reject(new Error('store unavailable')) : fn(...args);
    const store = {
      get: guard(inner.get.bind(inner)),
      set: guard(inner.set.bind(inner)),
      setIfAbsent: guard(inner.setIfAbsent.bind(inner)),
      compareAndSet: guard(inner.compareAndSet.bind(inner)),
      delete: guard(inner.delete.bind(inner)),
      compareAndDelete: guard(inner.compareAndDelete.bind(inner)),
    };
    return { store, state };
  }

  it('a reply by msgid is still delivered once, from this process, and a second one is refused', async () => {
    const { store, state } = flakyStore();
    const t = setup({ store });
    const { url, msgid } = await receiveWithUrl(t);
    state.down = true;
    const first = await t.bot.reply({ msgId: msgid }, 'answer');
    const second = await t.bot.reply({ msgId: msgid }, 'answer again');
    expect(first.ok).toBe(true);
    expect(second.ok).toBe(false);
    expect(second.ok === false && second.reason).toBe('response_url_used');
    expect(suite.wecom.callsFor(url)).toHaveLength(1);
    expect(t.logs.some((l) => l.level === 'warn' && l.text.includes('fail-open'))).toBe(true);
  });

  it('a message this process never received is an explicit store error, not a guess', async () => {
    const { store, state } = flakyStore();
    const t = setup({ store });
    state.down = true;
    const result = await t.bot.reply({ msgId: 'never-seen' }, 'answer');
    expect(result.ok === false && result.reason).toBe('store_error');
  });
});

describe('many replies in flight', () => {
  it('20 concurrent response_url sends raise no MaxListenersExceededWarning and all deliver', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const t = setup();
      const targets = await Promise.all(Array.from({ length: 20 }, () => receiveWithUrl(t)));
      const results = await Promise.all(targets.map(({ msgid }) => t.bot.reply({ msgId: msgid }, 'answer')));
      expect(results.filter((r) => r.ok)).toHaveLength(20);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((name) => name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a response_url that is not an absolute http(s) URL', () => {
  /** Every URL the bot fetches; only loopback is let through (nothing leaves the machine). */
  function recordingSetup() {
    const fetched: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      fetched.push(url);
      if (new URL(url).hostname !== '127.0.0.1') return Promise.reject(new TypeError('not loopback'));
      return globalThis.fetch(input, init);
    };
    const t = setup({
      http: { fetch, timeoutMs: 2000, retry: { backoff: { baseMs: 5, factor: 2, jitter: 0 } } },
    });
    return { t, fetched };
  }

  const refused = [
    'file:///etc/passwd',
    'cgi-bin/aibot/response?response_code=abc',
    '/cgi-bin/aibot/response?response_code=abc',
    '//127.0.0.1/cgi-bin/aibot/response',
    'javascript:alert(1)',
    'data:text/plain,hello',
    'ftp://127.0.0.1/response',
    'http:/127.0.0.1/one-slash',
    'https://',
    ' http://127.0.0.1/leading-space',
  ];
  for (const responseUrl of refused) {
    it(`${JSON.stringify(responseUrl)}: bot.reply fails with response_url_invalid and nothing is fetched`, async () => {
      const { t, fetched } = recordingSetup();
      const msg = botText({ content: 'q', responseUrl });
      expect((await post(t.bot, msg)).status).toBe(200);
      const result = await t.bot.reply({ msgId: msg.msgid }, 'answer');
      expect(result).toMatchObject({ ok: false, channel: 'response_url', reason: 'response_url_invalid' });
      if (!result.ok) {
        expect(result.error).toBeInstanceOf(WeComBotError);
        expect(result.error.code).toBe('response_url_invalid');
      }
      expect(t.failed).toHaveLength(1);
      expect(t.failed[0]).toMatchObject({ reason: 'response_url_invalid', msgId: msg.msgid });
      expect(t.delivered).toHaveLength(0);
      expect(fetched).toEqual([]);
    });
  }

  it('a reply from the listener after the deadline is refused the same way (reply.failed, nothing fetched)', async () => {
    const { t, fetched } = recordingSetup();
    const done = gate<DeliveryResult>();
    t.bot.on('text', async (_m, ctx) => {
      await new Promise((r) => setTimeout(r, 300));
      done.open(await ctx.reply('late answer'));
    });
    const msg = botText({ content: 'q', responseUrl: 'file:///etc/passwd' });
    expect((await post(t.bot, msg)).status).toBe(200);
    expect(await done.promise).toMatchObject({ ok: false, reason: 'response_url_invalid' });
    expect(t.failed).toHaveLength(1);
    expect(fetched).toEqual([]);
  });

  it('a chat fallback skips a message whose response_url is unusable and takes the valid one before it', async () => {
    const { t, fetched } = recordingSetup();
    const good = suite.wecom.responseUrl();
    const first = botText({ content: 'q1', responseUrl: good, chatid: 'wrgroup-mixed' });
    const second = botText({ content: 'q2', responseUrl: 'relative/path', chatid: 'wrgroup-mixed' });
    await post(t.bot, first);
    await post(t.bot, second);
    const result = await t.bot.reply({ chatId: 'wrgroup-mixed' }, 'answer');
    expect(result).toMatchObject({ ok: true, msgId: first.msgid });
    expect(fetched).toEqual([good]);
    expect(suite.wecom.callsFor(good)).toHaveLength(1);
  });

  it('absolute http and https URLs are accepted as given, never rebased on the API base', async () => {
    const { t, fetched } = recordingSetup();
    const url = suite.wecom.responseUrl();
    const msg = botText({ content: 'q', responseUrl: url });
    await post(t.bot, msg);
    expect(await t.bot.reply({ msgId: msg.msgid }, 'answer')).toMatchObject({ ok: true });
    expect(fetched).toEqual([url]);
  });
});
