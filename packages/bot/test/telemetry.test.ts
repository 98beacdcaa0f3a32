/**
 * The bot's spans and metrics through the real OpenTelemetry SDK (in-memory exporters): the
 * documented names, parents, statuses and points of docs/observability.md.
 */
import { Deduper, MemoryStore } from '@maven/wecom-core';
import { botText } from '@maven/wecom-testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { botSuite, freshStore, gate, KEY, makeBot, post, TOKEN } from './helpers.js';
import { ancestry, useOtel } from './otel-harness.js';

const suite = botSuite(2000);
const otel = useOtel();

beforeEach(() => otel.spans.reset());

const OK = 0;
const ERROR = 2;

describe('telemetry of the bot', () => {
  it('a text answered passively: wecom.callback with open, listeners and reply children, and its points', async () => {
    const t = makeBot();
    t.bot.on('text', async (m, ctx) => {
      await ctx.reply(`echo: ${m.text}`);
    });
    const before = {
      accepted: await otel.total('wecom.callbacks', { 'wecom.outcome': 'accepted' }),
      replies: await otel.total('wecom.replies', {
        'wecom.channel': 'passive',
        'wecom.outcome': 'delivered',
      }),
      latency: await otel.total('wecom.reply.duration', { 'wecom.channel': 'passive' }),
      store: await otel.total('wecom.store.duration', { 'wecom.store.operation': 'setIfAbsent' }),
    };
    const out = await post(t.bot, botText({ content: 'hi' }));
    expect(out.status).toBe(200);
    expect(out.reply).not.toBeNull();

    const [root] = otel.named('wecom.callback');
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.status.code).toBe(OK);
    expect(root?.attributes).toMatchObject({
      'wecom.kind': 'bot',
      'wecom.msgtype': 'text',
      'wecom.outcome': 'accepted',
      'http.request.method': 'POST',
    });
    for (const child of ['wecom.open', 'wecom.listeners', 'wecom.reply']) {
      const [span] = otel.named(child);
      expect(span?.parentSpanContext?.spanId, child).toBe(root?.spanContext().spanId);
      expect(span?.spanContext().traceId).toBe(root?.spanContext().traceId);
      expect(span?.status.code, child).toBe(OK);
    }
    expect(otel.named('wecom.reply')[0]?.attributes['wecom.channel']).toBe('passive');
    expect(otel.named('wecom.acknowledge')).toHaveLength(0);
    expect(otel.named('wecom.reply')[0]?.events.map((e) => e.name)).toEqual(['wecom.reply.delivered']);

    expect(await otel.total('wecom.callbacks', { 'wecom.outcome': 'accepted' })).toBe(before.accepted + 1);
    expect(
      await otel.total('wecom.replies', { 'wecom.channel': 'passive', 'wecom.outcome': 'delivered' }),
    ).toBe(before.replies + 1);
    expect(await otel.total('wecom.reply.duration', { 'wecom.channel': 'passive' })).toBe(before.latency + 1);
    // The dedup claim went to the Store once, and was measured.
    expect(await otel.total('wecom.store.duration', { 'wecom.store.operation': 'setIfAbsent' })).toBe(
      before.store + 1,
    );
  });

  it('a refused signature: the callback span is ERROR with error.type, counted as refused by its code', async () => {
    const t = makeBot();
    const before = await otel.total('wecom.callbacks', { 'wecom.outcome': 'refused' });
    const out = await post(t.bot, botText({ content: 'hi' }), { token: 'not-the-token' });
    expect(out.status).toBe(401);
    const [root] = otel.named('wecom.callback');
    expect(root?.status.code).toBe(ERROR);
    const refusal = root?.attributes['error.type'];
    expect(refusal).toBe('signature_mismatch');
    expect(root?.attributes['wecom.outcome']).toBe('refused');
    const [open] = otel.named('wecom.open');
    expect(open?.status.code).toBe(ERROR);
    expect(open?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(otel.named('wecom.listeners')).toHaveLength(0);
    expect(await otel.total('wecom.callbacks', { 'wecom.outcome': 'refused' })).toBe(before + 1);
    expect(
      await otel.total('wecom.callbacks', {
        'wecom.outcome': 'refused',
        'wecom.refusal': 'signature_mismatch',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a duplicate: its callback span says duplicate, has no listeners span, and is counted once', async () => {
    const t = makeBot();
    let calls = 0;
    t.bot.on('text', () => {
      calls++;
    });
    const message = botText({ content: 'hi', msgid: 'dup-telemetry-1' });
    await post(t.bot, message);
    const before = await otel.total('wecom.callbacks', { 'wecom.outcome': 'duplicate' });
    otel.spans.reset();
    await post(t.bot, message);
    expect(calls).toBe(1);
    const [root] = otel.named('wecom.callback');
    expect(root?.attributes['wecom.outcome']).toBe('duplicate');
    expect(root?.status.code).toBe(OK);
    expect(otel.named('wecom.listeners')).toHaveLength(0);
    expect(otel.named('wecom.acknowledge')[0]?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(await otel.total('wecom.callbacks', { 'wecom.outcome': 'duplicate' })).toBe(before + 1);
  });

  it('a reply through response_url retried twice then delivered: one wecom.call with two retry events over three wecom.http attempts', async () => {
    const t = suite.setup();
    const url = suite.wecom.responseUrl([{ status: 503 }, { status: 503 }]);
    const done = gate();
    t.bot.on('text', async (_m, ctx) => {
      await new Promise((r) => setTimeout(r, 300)); // past the 200 ms deadline: response_url
      await ctx.reply('late');
      done.open();
    });
    const path = '/cgi-bin/aibot/response';
    const before = {
      retries: await otel.total('wecom.http.retries', { 'wecom.operation': path }),
      delivered: await otel.total('wecom.replies', {
        'wecom.channel': 'response_url',
        'wecom.outcome': 'delivered',
      }),
      latency: await otel.total('wecom.reply.duration', { 'wecom.channel': 'response_url' }),
      attempts: await otel.total('http.client.request.duration'),
    };
    const out = await post(t.bot, botText({ content: 'hi', responseUrl: url }));
    expect(out.status).toBe(200);
    await done.promise;
    expect(t.delivered).toHaveLength(1);
    expect(suite.wecom.callsFor(url)).toHaveLength(3);

    const all = otel.spans.getFinishedSpans();
    const [root] = otel.named('wecom.callback');
    const [call] = otel.named('wecom.call');
    expect(otel.named('wecom.call')).toHaveLength(1);
    expect(ancestry(all, call!)).toEqual(['wecom.call', 'wecom.listeners', 'wecom.callback']);
    expect(call?.attributes).toMatchObject({
      'wecom.operation': path,
      'wecom.outcome': 'delivered',
      'http.request.method': 'POST',
    });
    expect(call?.status.code).toBe(OK);
    const retries = call?.events.filter((e) => e.name === 'retry') ?? [];
    expect(retries.map((e) => e.attributes?.['http.request.resend_count'])).toEqual([1, 2]);
    expect(retries.map((e) => e.attributes?.['error.type'])).toEqual(['http_error', 'http_error']);

    const attempts = otel.named('wecom.http');
    expect(attempts).toHaveLength(3);
    for (const s of attempts) {
      expect(s.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(root?.spanContext().traceId);
      expect(s.attributes['url.path']).toBe(path);
      expect(s.kind).toBe(2); // CLIENT
    }
    expect(attempts.map((s) => s.status.code)).toEqual([ERROR, ERROR, OK]);
    expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    expect(attempts.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);

    expect(await otel.total('wecom.http.retries', { 'wecom.operation': path })).toBe(before.retries + 2);
    expect(
      await otel.total('wecom.replies', { 'wecom.channel': 'response_url', 'wecom.outcome': 'delivered' }),
    ).toBe(before.delivered + 1);
    expect(await otel.total('wecom.reply.duration', { 'wecom.channel': 'response_url' })).toBe(
      before.latency + 1,
    );
    expect(await otel.total('http.client.request.duration')).toBe(before.attempts + 3);
    const text = await otel.exportedText();
    expect(text).not.toContain(new URL(url).searchParams.get('response_code'));
  });

  it('a stream counts as active until it finishes', async () => {
    const t = makeBot();
    const during = gate<number>();
    t.bot.on('text', async (_m, ctx) => {
      const stream = ctx.stream();
      during.open(await otel.total('wecom.streams.active'));
      await stream.finish('done');
    });
    const before = await otel.total('wecom.streams.active');
    await post(t.bot, botText({ content: 'stream please' }));
    expect(await during.promise).toBe(before + 1);
    expect(await otel.total('wecom.streams.active')).toBe(before);
  });

  it('Store errors, dedup and Store sizes and evictions are measured', async () => {
    const broken = freshStore();
    broken.setIfAbsent = () => Promise.reject(Object.assign(new Error('down'), { code: 'ECONNRESET' }));
    const t = makeBot({ store: broken });
    t.bot.on('text', () => {});
    const errors = await otel.total('wecom.store.errors', { 'wecom.store.operation': 'setIfAbsent' });
    const out = await post(t.bot, botText({ content: 'hi' }));
    expect(out.status).toBe(200); // fail-open
    expect(await otel.total('wecom.store.errors', { 'wecom.store.operation': 'setIfAbsent' })).toBe(
      errors + 1,
    );

    const store = new MemoryStore({ maxEntries: 1 });
    const storeEvictions = await otel.total('wecom.store.evictions');
    await store.set('a', '1', { ttlMs: 60_000 });
    await store.set('b', '1', { ttlMs: 60_000 });
    expect(await otel.total('wecom.store.evictions')).toBe(storeEvictions + 1);

    const dedup = new Deduper({ store: new MemoryStore(), localEntries: 2 });
    const dedupEvictions = await otel.total('wecom.dedup.evictions');
    const size = await otel.total('wecom.dedup.size');
    for (const id of ['1', '2', '3']) await dedup.first(id);
    expect(await otel.total('wecom.dedup.evictions')).toBe(dedupEvictions + 1);
    expect(await otel.total('wecom.dedup.size')).toBe(size + 2);
    expect(await otel.total('wecom.store.size')).toBeGreaterThanOrEqual(4);
  });

  it('log records made while a span is active carry its trace_id and span_id', async () => {
    const t = makeBot(); // no listener: the SDK logs "no listener for this callback" inside the callback
    await post(t.bot, botText({ content: 'anyone?' }));
    const line = t.logs.find((l) => l.text.startsWith('no listener for this callback'));
    const [root] = otel.named('wecom.callback');
    const [listeners] = otel.named('wecom.listeners');
    expect(line?.text).toContain(`"trace_id":"${root?.spanContext().traceId}"`);
    expect(line?.text).toContain(`"span_id":"${listeners?.spanContext().spanId}"`);
  });

  it('redaction: no exported attribute, event or log field carries the token, the key or the response_code', async () => {
    const t = suite.setup();
    const url = suite.wecom.responseUrl([{ status: 503 }]);
    const done = gate();
    t.bot.on('text', async (_m, ctx) => {
      await new Promise((r) => setTimeout(r, 300));
      await ctx.reply('late');
      done.open();
    });
    await post(t.bot, botText({ content: 'hi', responseUrl: url }));
    await post(t.bot, botText({ content: 'hi' }), { key: 'x'.repeat(43) });
    await done.promise;
    const exported = `${await otel.exportedText()}\n${t.logs.map((l) => l.text).join('\n')}`;
    expect(exported).toContain('wecom.callback');
    for (const secret of [TOKEN, KEY, new URL(url).searchParams.get('response_code') ?? '-']) {
      expect(exported).not.toContain(secret);
    }
  });
});
