import { MemoryStore } from '@maven/wecom-core';
import { botStreamRefresh, botText } from '@maven/wecom-testing';
import { describe, expect, it } from 'vitest';
import { CONTENT_LIMIT_BYTES, type DeliveryResult, type StreamWriter } from '../src/index.js';
import { botSuite, fakePng, gate, nodeMd5, post, type TestBot, utf8Bytes } from './helpers.js';

const suite = botSuite(2000);
const setup = suite.setup;

async function refresh(t: TestBot, streamId: string) {
  const out = await post(t.bot, botStreamRefresh(streamId));
  expect(out.status).toBe(200);
  return out.reply?.stream;
}

describe('passive streaming', () => {
  it('first reply carries the stream id; refreshes return the growing content until finish', async () => {
    const t = setup();
    const [g1, g2, s1, s2] = [gate(), gate(), gate(), gate<DeliveryResult>()];
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      expect(s.mode).toBe('passive');
      await s.append('Hel');
      await g1.promise;
      await s.append('lo');
      s1.open();
      await g2.promise;
      s2.open(await s.finish('Hello, world'));
    });
    const url = suite.wecom.responseUrl();
    const first = await post(t.bot, botText({ content: 'stream please', responseUrl: url }));
    expect(first.reply).toMatchObject({ msgtype: 'stream', stream: { finish: false, content: 'Hel' } });
    const id = first.reply!.stream!.id!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await refresh(t, id)).toEqual({ id, finish: false, content: 'Hel' });
    g1.open();
    await s1.promise;
    expect(await refresh(t, id)).toEqual({ id, finish: false, content: 'Hello' });
    g2.open();
    expect(await s2.promise).toMatchObject({ ok: true, channel: 'passive', finish: true, streamId: id });
    expect(await refresh(t, id)).toEqual({ id, finish: true, content: 'Hello, world' });
    expect(t.delivered.map((d) => [d.channel, d.kind, d.ok && d.finish])).toEqual([
      ['passive', 'stream', false],
      ['passive', 'stream', true],
    ]);
    expect(suite.wecom.callsFor(url)).toHaveLength(0);
  });

  it('a stream whose first append comes 1.5 s after ctx.stream() answers every refresh with its id', async () => {
    const t = setup();
    const done = gate<DeliveryResult>();
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream(); // before anything slow, as docs/streaming.md says
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a slow model's first token
      await s.append('late');
      done.open(await s.finish());
    });
    const first = await post(t.bot, botText({ content: 'slow model' }));
    expect(first.reply).toMatchObject({ msgtype: 'stream', stream: { finish: false, content: '' } });
    const id = first.reply!.stream!.id!;
    const early: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      early.push(await refresh(t, id));
    }
    expect(early).toEqual([
      { id, finish: false, content: '' },
      { id, finish: false, content: '' },
    ]);
    expect(t.logs.filter((l) => l.text.includes('unknown or expired stream'))).toEqual([]);
    await done.promise;
    expect(await refresh(t, id)).toEqual({ id, finish: true, content: 'late' });
  });

  it('refreshes answered by a second WeComBot instance sharing the Store see the same stream', async () => {
    const store = new MemoryStore();
    const a = setup({ store });
    const b = setup({ store });
    const [g1, g2, s1, s2] = [gate(), gate(), gate(), gate()];
    a.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      await s.append('第一段');
      await g1.promise;
      await s.replace('第一段，第二段');
      s1.open();
      await g2.promise;
      await s.finish();
      s2.open();
    });
    let bDispatched = 0;
    b.bot.on('callback', () => {
      bDispatched++;
    });
    const first = await post(a.bot, botText({ content: 'hi' }));
    const id = first.reply!.stream!.id!;
    expect(await refresh(b, id)).toEqual({ id, finish: false, content: '第一段' });
    g1.open();
    await s1.promise;
    expect(await refresh(b, id)).toEqual({ id, finish: false, content: '第一段，第二段' });
    g2.open();
    await s2.promise;
    expect(await refresh(b, id)).toEqual({ id, finish: true, content: '第一段，第二段' });
    expect(bDispatched).toBe(0);
    expect(b.delivered).toMatchObject([{ channel: 'passive', kind: 'stream', finish: true, streamId: id }]);
  });

  it('a stream finished within the deadline goes out whole in the first response, images included', async () => {
    const t = setup();
    const png = fakePng(300);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]);
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream({ feedbackId: 'fb-1' });
      await s.append('look: ');
      // Not awaited: finish waits for the images being sniffed, so the first response has them.
      void s.addImage(png);
      void s.addImage(jpeg);
      await s.finish('look at these');
    });
    const out = await post(t.bot, botText({ content: 'x' }));
    expect(out.reply?.stream).toMatchObject({
      finish: true,
      content: 'look at these',
      feedback: { id: 'fb-1' },
      msg_item: [
        { msgtype: 'image', image: { base64: Buffer.from(png).toString('base64'), md5: nodeMd5(png) } },
        { msgtype: 'image', image: { base64: Buffer.from(jpeg).toString('base64'), md5: nodeMd5(jpeg) } },
      ],
    });
  });

  it('images are refused unless PNG/JPEG, at most 10, before finish only', async () => {
    const t = setup();
    const codes: string[] = [];
    const done = gate();
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
        codes.push('ok');
      } catch (e) {
        codes.push((e as { code: string }).code);
      }
    };
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      await attempt(() => s.addImage(new TextEncoder().encode('GIF89a....')));
      await attempt(() => s.addImage(new Uint8Array(0)));
      // Not awaited: finish waits for images still being sniffed.
      for (let i = 0; i < 10; i++) void s.addImage(fakePng());
      await attempt(() => s.addImage(fakePng()));
      await s.finish('done');
      await attempt(() => s.addImage(fakePng()));
      await attempt(() => s.append('more'));
      done.open();
    });
    const out = await post(t.bot, botText({ content: 'x' }));
    await done.promise;
    expect(codes).toEqual([
      'invalid_image',
      'invalid_image',
      'invalid_image',
      'stream_finished',
      'stream_finished',
    ]);
    // The handler awaited the GIF's sniffing, so the first response went out before finish: the
    // final frame, served to WeCom's next refresh, carries the ten accepted images.
    const final = await refresh(t, out.reply!.stream!.id!);
    expect(final).toMatchObject({ finish: true, content: 'done' });
    expect(final?.msg_item).toHaveLength(10);
  });

  it('stream with a template card: the first frame is stream_with_template_card', async () => {
    const t = setup();
    const card = { card_type: 'text_notice' as const, main_title: { title: 'T' } };
    t.bot.on('text', async (_m, ctx) => {
      await ctx.stream({ card }).append('with card');
    });
    const out = await post(t.bot, botText({ content: 'x' }));
    expect(out.reply).toMatchObject({
      msgtype: 'stream_with_template_card',
      stream: { finish: false, content: 'with card' },
      template_card: card,
    });
    expect(await refresh(t, out.reply!.stream!.id!)).toEqual({
      id: out.reply!.stream!.id,
      finish: false,
      content: 'with card',
    });
  });

  it('content is kept ≤ 20480 bytes: head kept, cut on a code point, marker inside the limit', async () => {
    const t = setup({ truncationMarker: '\n…(truncated)' });
    const done = gate<StreamWriter>();
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      for (let i = 0; i < 100; i++) await s.append('汉字🙂'.repeat(50));
      done.open(s);
    });
    const out = await post(t.bot, botText({ content: 'x' }));
    const s = await done.promise;
    const content = (await refresh(t, out.reply!.stream!.id!))!.content!;
    expect(utf8Bytes(content)).toBeLessThanOrEqual(CONTENT_LIMIT_BYTES);
    expect(utf8Bytes(content)).toBeGreaterThan(CONTENT_LIMIT_BYTES - 8);
    expect(content.endsWith('\n…(truncated)')).toBe(true);
    expect(content.startsWith('汉字🙂汉字🙂')).toBe(true);
    expect(content).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(s.content).toBe(content);
  });

  it('a re-delivered message gets the same stream back; an unknown stream id is acknowledged', async () => {
    const t = setup();
    let calls = 0;
    const release = gate();
    t.bot.on('text', async (_m, ctx) => {
      calls++;
      await ctx.stream().append('partial');
      await release.promise;
    });
    const msg = botText({ content: 'x' });
    const first = await post(t.bot, msg);
    const again = await post(t.bot, msg);
    expect(calls).toBe(1);
    expect(again.reply?.stream).toEqual(first.reply?.stream);
    release.open();
    const unknown = await post(t.bot, botStreamRefresh('no-such-stream'));
    expect(unknown.status).toBe(200);
    expect(unknown.body).toBe('');
    expect(t.logs.some((l) => l.level === 'warn' && l.text.includes('unknown or expired stream'))).toBe(true);
  });

  it('a listener that throws mid-stream finishes the stream (no six-minute spinner)', async () => {
    const t = setup();
    const thrown = gate();
    const writer = gate<StreamWriter>();
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      writer.open(s);
      await s.append('so far');
      await thrown.promise;
      throw new Error('model crashed');
    });
    const out = await post(t.bot, botText({ content: 'x' }));
    const id = out.reply!.stream!.id!;
    expect(await refresh(t, id)).toEqual({ id, finish: false, content: 'so far' });
    const s = await writer.promise;
    thrown.open();
    while (!s.finished) await new Promise((r) => setImmediate(r));
    await s.flush();
    expect(await refresh(t, id)).toEqual({ id, finish: true, content: 'so far' });
    expect(t.errors.map((e) => (e as Error).message)).toEqual(['model crashed']);
  });
});

describe('window hand-over and active streams', () => {
  it('after the window the final answer goes out through response_url as markdown (injected clock)', async () => {
    let clock = Date.now();
    const t = setup({ now: () => clock, streamWindowMs: 60_000, truncationMarker: '…' });
    const [g1, s1] = [gate(), gate<DeliveryResult>()];
    t.bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      await s.append('thinking…');
      await g1.promise;
      s1.open(await s.finish('the final answer'));
    });
    const url = suite.wecom.responseUrl();
    const first = await post(t.bot, botText({ content: 'x', responseUrl: url }), {
      timestamp: Math.floor(clock / 1000),
    });
    const id = first.reply!.stream!.id!;
    clock += 59_000;
    expect(await refresh(t, id)).toEqual({ id, finish: false, content: 'thinking…' });
    clock += 2_000; // past the 60 s window: WeCom has stopped refreshing
    g1.open();
    const result = await s1.promise;
    expect(result).toMatchObject({ ok: true, channel: 'response_url', kind: 'stream', streamId: id });
    expect(suite.wecom.callsFor(url).map((c) => c.body)).toEqual([
      { msgtype: 'markdown', markdown: { content: 'the final answer' } },
    ]);
    expect(t.delivered.at(-1)).toMatchObject({ channel: 'response_url', kind: 'stream' });
  });

  it('a stream started after the deadline is active: content goes via response_url at finish', async () => {
    const t = setup();
    const answered = gate();
    const result = gate<DeliveryResult>();
    t.bot.on('text', async (_m, ctx) => {
      await answered.promise;
      const s = ctx.stream();
      expect(s.mode).toBe('active');
      await s.append('part 1, ');
      await s.append('part 2');
      result.open(await s.finish());
    });
    const url = suite.wecom.responseUrl();
    const out = await post(t.bot, botText({ content: 'x', responseUrl: url }));
    expect(out.body).toBe('');
    answered.open();
    expect(await result.promise).toMatchObject({ ok: true, channel: 'response_url' });
    expect(suite.wecom.callsFor(url)[0]?.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: 'part 1, part 2' },
    });
  });
});
