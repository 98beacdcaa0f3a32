import {
  botEvent,
  botFile,
  botImage,
  botMixed,
  botText,
  botVideo,
  botVoice,
  buildBotCallback,
  buildBotVerification,
} from '@maven/wecom-testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { BotCallback, MixedMessage, TemplateCardEvent, TextMessage } from '../src/index.js';
import { gate, KEY, makeBot, OTHER_KEY, post, type TestBot, TOKEN } from './helpers.js';

const bots: TestBot[] = [];
afterEach(async () => {
  await Promise.all(bots.splice(0).map((t) => t.bot.close({ timeoutMs: 1000 })));
});

function setup(options: Parameters<typeof makeBot>[0] = {}): TestBot {
  const t = makeBot(options);
  bots.push(t);
  return t;
}

/** Collects what the catch-all listener sees. */
function collect(t: TestBot): BotCallback[] {
  const seen: BotCallback[] = [];
  t.bot.on('callback', (m) => {
    seen.push(m);
  });
  return seen;
}

describe('URL verification', () => {
  it('answers 200 with the bare plaintext', async () => {
    const { bot } = setup({ path: '/wecom/bot' });
    const v = buildBotVerification({ token: TOKEN, encodingAESKey: KEY, echo: '1616140317555161061' });
    const out = await bot.receive({ method: 'GET', url: `/wecom/bot${v.search}` });
    expect(out.status).toBe(200);
    expect(out.body).toBe('1616140317555161061');
    expect(out.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('works through handle() with a fetch Request', async () => {
    const { bot } = setup();
    const v = buildBotVerification({ token: TOKEN, encodingAESKey: KEY });
    const res = await bot.handle(new Request(`http://localhost/wecom/bot${v.search}`));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(v.echo);
  });

  it('tolerates a "+" in echostr that arrived unencoded', async () => {
    const { bot } = setup();
    for (let i = 0; i < 20; i++) {
      const v = buildBotVerification({ token: TOKEN, encodingAESKey: KEY });
      if (!v.echostr.includes('+')) continue;
      const raw = `?msg_signature=${v.signature}&timestamp=${v.timestamp}&nonce=${v.nonce}&echostr=${v.echostr.replaceAll('/', '%2F').replaceAll('=', '%3D')}`;
      const out = await bot.receive({ method: 'GET', url: `/wecom/bot${raw}` });
      expect(out.status).toBe(200);
      expect(out.body).toBe(v.echo);
      return;
    }
    throw new Error('no echostr with "+" generated in 20 tries');
  });

  it('refuses a bad signature (401) and missing parameters (400)', async () => {
    const { bot } = setup();
    const v = buildBotVerification({ token: 'another-token', encodingAESKey: KEY });
    expect((await bot.receive({ method: 'GET', url: `/x${v.search}` })).status).toBe(401);
    for (const drop of ['msg_signature', 'timestamp', 'nonce', 'echostr']) {
      const good = buildBotVerification({ token: TOKEN, encodingAESKey: KEY });
      good.query.delete(drop);
      const out = await bot.receive({ method: 'GET', url: `/x?${good.query}` });
      expect(out.status, drop).toBe(400);
      expect(out.body).toBe('missing_parameter');
    }
  });
});

describe('bad input', () => {
  it('400 for a POST missing msg_signature, timestamp or nonce', async () => {
    const { bot } = setup();
    for (const drop of ['msg_signature', 'timestamp', 'nonce']) {
      const cb = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message: botText({ content: 'x' }) });
      cb.query.delete(drop);
      const out = await bot.receive({ method: 'POST', url: `/wecom/bot?${cb.query}`, body: cb.body });
      expect(out.status, drop).toBe(400);
    }
  });

  it('400 for bad JSON and for a body without encrypt', async () => {
    const { bot } = setup();
    const cb = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message: botText({ content: 'x' }) });
    for (const body of ['{not json', '{"foo":"bar"}', '[]', '']) {
      const out = await bot.receive({ method: 'POST', url: `/wecom/bot${cb.search}`, body });
      expect(out.status, body).toBe(400);
    }
  });

  it('401 for a wrong signature and for a stale timestamp', async () => {
    const t = setup();
    const seen = collect(t);
    const wrong = await post(t.bot, botText({ content: 'x' }), { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toBe('signature_mismatch');
    const stale = await post(t.bot, botText({ content: 'x' }), {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(stale.status).toBe(401);
    expect(stale.body).toBe('timestamp_out_of_window');
    expect(seen).toHaveLength(0);
  });

  it('a message encrypted with another key fails cleanly', async () => {
    const t = setup();
    const out = await post(t.bot, botText({ content: 'x' }), { key: OTHER_KEY });
    expect([400, 401]).toContain(out.status);
  });

  it("400 for a wrong receiveId: '' (the AI bot's) checked by default, another when configured, none with false", async () => {
    const strict = setup({ receiveId: '' });
    expect(
      (await post(strict.bot, botText({ content: 'x' }), { receiveId: 'wx5823bf96d3bd56c7' })).status,
    ).toBe(400);
    await strict.bot.close();
    const strictCorp = setup({ receiveId: 'corp-a' });
    expect((await post(strictCorp.bot, botText({ content: 'x' }), { receiveId: 'corp-b' })).body).toBe(
      'receive_id_mismatch',
    );
    expect((await post(strictCorp.bot, botText({ content: 'x' }), { receiveId: 'corp-a' })).status).toBe(200);
    await strictCorp.bot.close();
    const byDefault = setup();
    expect((await post(byDefault.bot, botText({ content: 'x' }), { receiveId: 'anything' })).body).toBe(
      'receive_id_mismatch',
    );
    expect((await post(byDefault.bot, botText({ content: 'x' }))).status).toBe(200);
    await byDefault.bot.close();
    const lenient = setup({ receiveId: false });
    expect((await post(lenient.bot, botText({ content: 'x' }), { receiveId: 'anything' })).status).toBe(200);
    expect(lenient.logs.some((l) => l.text.includes('receiveId is not empty'))).toBe(true);
  });

  it('413 for an oversize body, before any crypto work', async () => {
    const { bot } = setup({ maxBodyBytes: 1024 });
    const body = JSON.stringify({ encrypt: 'A'.repeat(2000) });
    const out = await bot.receive({
      method: 'POST',
      url: '/wecom/bot?msg_signature=a&timestamp=1&nonce=2',
      body,
    });
    expect(out.status).toBe(413);
    const res = await bot.handle(
      new Request('http://localhost/wecom/bot?msg_signature=a&timestamp=1&nonce=2', { method: 'POST', body }),
    );
    expect(res.status).toBe(413);
  });

  it('400 when the decrypted plaintext is not a JSON object', async () => {
    const t = setup();
    expect((await post(t.bot, 'not json at all')).status).toBe(400);
    expect((await post(t.bot, '[1,2]')).status).toBe(400);
  });

  it('405 for other methods, 404 for other paths when a path is set', async () => {
    const { bot } = setup({ path: ['/wecom/bot', '/bot2'] });
    expect((await bot.receive({ method: 'PUT', url: '/wecom/bot' })).status).toBe(405);
    expect((await bot.receive({ method: 'GET', url: '/elsewhere' })).status).toBe(404);
    expect(bot.matches('/bot2')).toBe(true);
    expect(bot.matches('/bot3')).toBe(false);
  });

  it('refuses a callback for another aibotid when aibotId is configured', async () => {
    const t = setup({ aibotId: 'bot-a' });
    expect((await post(t.bot, botText({ content: 'x', aibotid: 'bot-b' }))).status).toBe(400);
    expect((await post(t.bot, botText({ content: 'x', aibotid: 'bot-a' }))).status).toBe(200);
  });
});

describe('typed messages and events', () => {
  it('text: fields, derived chatId/userId, typed listener and catch-all', async () => {
    const t = setup();
    const typed: TextMessage[] = [];
    t.bot.on('text', (m) => {
      typed.push(m);
    });
    const seen = collect(t);
    const msg = botText({
      content: 'hello',
      from: 'lisi',
      responseUrl: 'https://example.com/r?response_code=1',
    });
    const out = await post(t.bot, msg);
    expect(out.status).toBe(200);
    expect(out.body).toBe('');
    expect(typed).toHaveLength(1);
    expect(seen).toHaveLength(1);
    const m = typed[0]!;
    expect(m).toMatchObject({
      type: 'text',
      msgtype: 'text',
      text: 'hello',
      msgId: msg.msgid,
      aibotid: msg.aibotid,
      chattype: 'single',
      userId: 'lisi',
      chatId: 'lisi',
      from: { userid: 'lisi' },
      response_url: 'https://example.com/r?response_code=1',
    });
    expect(m.chatid).toBeUndefined();
  });

  it('group: chatId is the chatid', async () => {
    const t = setup();
    const seen = collect(t);
    await post(t.bot, botText({ content: '@bot hi', chatid: 'wrgroup1', from: 'u1' }));
    expect(seen[0]).toMatchObject({
      chattype: 'group',
      chatid: 'wrgroup1',
      chatId: 'wrgroup1',
      userId: 'u1',
    });
  });

  it('image, voice, file, video and mixed', async () => {
    const t = setup();
    const seen = collect(t);
    await post(t.bot, botImage({ url: 'https://cdn.example/i1' }));
    await post(t.bot, botVoice({ content: 'transcribed words' }));
    await post(t.bot, botFile({ url: 'https://cdn.example/f1' }));
    await post(t.bot, botVideo({ url: 'https://cdn.example/v1' }));
    await post(
      t.bot,
      botMixed({
        items: [{ text: 'line one' }, { imageUrl: 'https://cdn.example/m1' }, { text: 'line two' }],
      }),
    );
    expect(seen.map((m) => m.type)).toEqual(['image', 'voice', 'file', 'video', 'mixed']);
    expect(seen[0]).toMatchObject({ image: { kind: 'image', url: 'https://cdn.example/i1' }, text: '' });
    expect(seen[1]).toMatchObject({ text: 'transcribed words', media: [] });
    expect(seen[2]).toMatchObject({ file: { kind: 'file', url: 'https://cdn.example/f1' } });
    expect(seen[3]).toMatchObject({ video: { kind: 'video', url: 'https://cdn.example/v1' } });
    const mixed = seen[4] as MixedMessage;
    expect(mixed.text).toBe('line one\nline two');
    expect(mixed.images).toEqual([{ kind: 'image', url: 'https://cdn.example/m1' }]);
    expect(mixed.items.map((i) => i.type)).toEqual(['text', 'image', 'text']);
    expect(mixed.media).toHaveLength(1);
  });

  it('image aliases pic_url / image_url and media_id-only items', async () => {
    const t = setup();
    const seen = collect(t);
    const base = botImage({ url: 'x' });
    await post(t.bot, { ...base, msgid: 'alias-1', image: { pic_url: 'https://cdn.example/p' } });
    await post(t.bot, {
      ...base,
      msgid: 'alias-2',
      image: { image_url: 'https://cdn.example/q', aeskey: 'k' },
    });
    await post(t.bot, { ...base, msgid: 'alias-3', image: { media_id: 'MEDIA' } });
    expect(seen.map((m) => (m.type === 'image' ? m.image : null))).toEqual([
      { kind: 'image', url: 'https://cdn.example/p' },
      { kind: 'image', url: 'https://cdn.example/q', aeskey: 'k' },
      { kind: 'image', mediaId: 'MEDIA' },
    ]);
  });

  it('quote is parsed', async () => {
    const t = setup();
    const seen = collect(t);
    await post(
      t.bot,
      botText({
        content: 'what about this?',
        quote: { msgtype: 'mixed', mixed: { msg_item: [{ msgtype: 'text', text: { content: 'quoted' } }] } },
      }),
    );
    expect((seen[0] as TextMessage).quote).toMatchObject({ msgtype: 'mixed', text: 'quoted', media: [] });
  });

  it('events: enter_chat, template_card_event, feedback_event', async () => {
    const t = setup();
    const enter: unknown[] = [];
    const cards: TemplateCardEvent[] = [];
    const feedback: unknown[] = [];
    t.bot.on('event.enter_chat', (e) => {
      enter.push(e);
    });
    t.bot.on('event.template_card_event', (e) => {
      cards.push(e);
    });
    t.bot.on('event.feedback_event', (e) => {
      feedback.push(e);
    });
    await post(t.bot, botEvent('enter_chat'));
    await post(
      t.bot,
      botEvent('template_card_event', {
        card_type: 'vote_interaction',
        event_key: 'submit',
        task_id: 'task-1',
        selected_items: { selected_item: [{ question_key: 'q1', option_ids: { option_id: ['a', 'b'] } }] },
      }),
    );
    await post(
      t.bot,
      botEvent('feedback_event', { id: 'fb-1', type: 2, content: 'wrong', inaccurate_reason_list: [3] }),
    );
    expect(enter).toHaveLength(1);
    expect(enter[0]).toMatchObject({ type: 'event.enter_chat', msgtype: 'event', eventtype: 'enter_chat' });
    expect(cards[0]).toMatchObject({
      cardType: 'vote_interaction',
      eventKey: 'submit',
      taskId: 'task-1',
      selectedItems: [{ questionKey: 'q1', optionIds: ['a', 'b'] }],
    });
    expect(feedback[0]).toMatchObject({
      feedbackId: 'fb-1',
      feedbackType: 2,
      content: 'wrong',
      inaccurateReasons: [3],
    });
  });

  it('unknown msgtype and eventtype surface as typed unknown events, not errors', async () => {
    const t = setup();
    const unknown: BotCallback[] = [];
    t.bot.on('unknown', (m) => {
      unknown.push(m);
    });
    const a = await post(t.bot, { ...botText({ content: 'x' }), msgtype: 'location', location: { lat: 1 } });
    const b = await post(t.bot, botEvent('disconnected_event', { reason: 'x' }));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(unknown).toHaveLength(2);
    expect(unknown[0]).toMatchObject({ type: 'unknown', msgtype: 'location' });
    expect(unknown[0]!.raw).toMatchObject({ location: { lat: 1 } });
    expect(unknown[1]).toMatchObject({ type: 'unknown', msgtype: 'event', eventtype: 'disconnected_event' });
  });

  it('a message without listeners is acknowledged and logged, not dropped silently', async () => {
    const t = setup();
    const out = await post(t.bot, botText({ content: 'nobody listens' }));
    expect(out.status).toBe(200);
    expect(t.logs.some((l) => l.level === 'info' && l.text.includes('no listener'))).toBe(true);
  });

  it('a listener that throws becomes an error event; the callback is still acknowledged', async () => {
    const t = setup();
    t.bot.on('text', () => {
      throw new Error('listener broke');
    });
    t.bot.on('voice', async () => {
      throw new Error('async listener broke');
    });
    expect((await post(t.bot, botText({ content: 'x' }))).status).toBe(200);
    expect((await post(t.bot, botVoice({ content: 'x' }))).status).toBe(200);
    await t.bot.close();
    expect(t.errors.map((e) => (e as Error).message)).toEqual(['listener broke', 'async listener broke']);
  });

  it('once() listeners fire once and off() removes them', async () => {
    const t = setup();
    let once = 0;
    let on = 0;
    const fn = () => {
      on++;
    };
    t.bot.once('text', () => {
      once++;
    });
    t.bot.on('text', fn);
    await post(t.bot, botText({ content: '1' }));
    await post(t.bot, botText({ content: '2' }));
    t.bot.off('text', fn);
    await post(t.bot, botText({ content: '3' }));
    expect(once).toBe(1);
    expect(on).toBe(2);
    const ctx = { n: 0 };
    t.bot.on(
      'voice',
      function (this: { n: number }) {
        this.n++;
      },
      ctx,
    );
    await post(t.bot, botVoice({ content: 'v' }));
    expect(ctx.n).toBe(1);
  });
});

describe('allowFrom, dedup and replay', () => {
  it('allowFrom: trimmed exact ids; others are acknowledged without dispatch', async () => {
    const t = setup({ allowFrom: [' zhangsan ', ''] });
    const seen = collect(t);
    expect((await post(t.bot, botText({ content: 'a', from: 'zhangsan' }))).status).toBe(200);
    expect((await post(t.bot, botText({ content: 'b', from: 'ZhangSan' }))).status).toBe(200);
    expect((await post(t.bot, botText({ content: 'c', from: 'zhangsan2' }))).status).toBe(200);
    expect(seen.map((m) => (m as TextMessage).text)).toEqual(['a']);
  });

  it('allowFrom is checked before dedup: a refused copy does not burn the msgid', async () => {
    const t = setup({ allowFrom: ['zhangsan'] });
    const seen = collect(t);
    const msg = botText({ content: 'x', from: 'intruder', msgid: 'shared-id' });
    await post(t.bot, msg);
    await post(t.bot, { ...msg, from: { userid: 'zhangsan' } });
    expect(seen).toHaveLength(1);
  });

  it('20 concurrent copies of one message (different nonces) dispatch once; copies of one still being handled get 503', async () => {
    const t = setup();
    let calls = 0;
    const release = gate();
    t.bot.on('text', async () => {
      calls++;
      await release.promise;
    });
    const msg = botText({ content: 'dup' });
    const posts = Array.from({ length: 20 }, () => post(t.bot, msg));
    const firstDone = await Promise.race(posts.map((p, i) => p.then(() => i)));
    expect(typeof firstDone).toBe('number');
    release.open();
    const outs = await Promise.all(posts);
    // The copy being handled answers 200; the others find its live claim: 503, WeCom tries again.
    expect(outs.filter((o) => o.status === 200)).toHaveLength(1);
    expect(outs.filter((o) => o.status === 503 && o.body === 'in_progress')).toHaveLength(19);
    expect(calls).toBe(1);
    // Once it was answered, a copy is a duplicate: 200, not dispatched.
    expect((await post(t.bot, msg)).status).toBe(200);
    expect(calls).toBe(1);
  });

  it('dedup is scoped by aibotid', async () => {
    const t = setup();
    const seen = collect(t);
    await post(t.bot, botText({ content: 'a', msgid: 'same', aibotid: 'bot-1' }));
    await post(t.bot, botText({ content: 'b', msgid: 'same', aibotid: 'bot-2' }));
    await post(t.bot, botText({ content: 'c', msgid: 'same', aibotid: 'bot-1' }));
    expect(seen.map((m) => (m as TextMessage).text)).toEqual(['a', 'b']);
  });

  it('an identical replayed request is acknowledged 200 without dispatch', async () => {
    const t = setup();
    const seen = collect(t);
    const cb = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message: botText({ content: 'once' }) });
    const request = { method: 'POST', url: `/wecom/bot${cb.search}`, body: cb.body };
    const outs = await Promise.all([t.bot.receive(request), t.bot.receive(request), t.bot.receive(request)]);
    expect(outs.map((o) => o.status).sort()).toEqual([200, 503, 503]);
    expect((await t.bot.receive(request)).status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it.each([
    // [signed this far ahead of the bot's clock, s; sent again this much later, ms; still accepted then]
    [299, 590_000, true], // accepted until clock + 599 s: then refused as out of window (401)
    [290, 310_000, false], // the case: past dedupTtlMs, within the window
  ])(
    'a replay signed %i s ahead and sent again %i ms later is dispatched once (dedup outlives dedupTtlMs)',
    async (ahead, later, checkExpiry) => {
      let clock = Date.now();
      const t = setup({ now: () => clock, dedupTtlMs: 1000, timestampWindow: 300 });
      const seen = collect(t);
      const cb = buildBotCallback({
        token: TOKEN,
        encodingAESKey: KEY,
        timestamp: Math.floor(clock / 1000) + ahead,
        message: botText({ content: 'once' }),
      });
      const request = { method: 'POST', url: `/wecom/bot${cb.search}`, body: cb.body };
      expect((await t.bot.receive(request)).status).toBe(200);
      clock += later;
      expect((await t.bot.receive(request)).status).toBe(200);
      expect(seen).toHaveLength(1);
      if (!checkExpiry) return;
      clock += 20_000;
      expect((await t.bot.receive(request)).status).toBe(401);
      expect(seen).toHaveLength(1);
    },
  );

  it('the Store failing does not lose the message (dedup fails open) nor doubles it on this replica', async () => {
    const broken = {
      get: async () => {
        throw new Error('store down');
      },
      set: async () => {
        throw new Error('store down');
      },
      setIfAbsent: async () => {
        throw new Error('store down');
      },
      compareAndSet: async () => {
        throw new Error('store down');
      },
      delete: async () => {
        throw new Error('store down');
      },
      compareAndDelete: async () => {
        throw new Error('store down');
      },
    };
    const t = setup({ store: broken });
    const seen = collect(t);
    const message = botText({ content: 'x' });
    expect((await post(t.bot, message)).status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(t.logs.some((l) => l.level === 'warn' && l.text.includes('at-least-once'))).toBe(true);
    // WeCom's re-delivery to the same replica: the in-process guard knows it was answered.
    expect((await post(t.bot, message)).status).toBe(200);
    expect(seen).toHaveLength(1);
  });
});

describe('never a crash', () => {
  it('any decrypted JSON object is answered 200 (typed or unknown), never 500', async () => {
    const fc = (await import('fast-check')).default;
    const t = setup();
    let dispatched = 0;
    t.bot.on('callback', () => {
      dispatched++;
    });
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            msgid: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            aibotid: fc.oneof(fc.string(), fc.constant(undefined)),
            chattype: fc.oneof(fc.constantFrom('single', 'group'), fc.anything()),
            from: fc.oneof(fc.record({ userid: fc.anything() }), fc.anything()),
            msgtype: fc.oneof(
              fc.constantFrom('text', 'image', 'mixed', 'voice', 'file', 'video', 'stream', 'event'),
              fc.anything(),
            ),
            text: fc.anything(),
            image: fc.anything(),
            mixed: fc.oneof(fc.record({ msg_item: fc.array(fc.anything()) }), fc.anything()),
            event: fc.oneof(fc.record({ eventtype: fc.anything() }), fc.anything()),
            stream: fc.anything(),
            quote: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        async (message) => {
          const out = await post(t.bot, message);
          expect(out.status).toBe(200);
        },
      ),
      { numRuns: 150 },
    );
    expect(dispatched).toBeGreaterThan(0);
    expect(t.logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});
