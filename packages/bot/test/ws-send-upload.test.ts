/** Proactive messages with the per-conversation quota, and media upload in chunks, over a real long connection. */
import { randomBytes } from 'node:crypto';
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProactiveSender, type SendOutcome, uploadMedia, WsConnection } from '../src/index.ts';
import { BOT, NodeWebSocket, SECRET } from './ws-helpers.ts';

let sim: WeComSimulator;
let conn: WsConnection;

beforeEach(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
  conn = new WsConnection({ botId: BOT, secret: SECRET, url: sim.wsUrl, WebSocket: NodeWebSocket });
  await conn.start();
});

afterEach(async () => {
  await conn.close({ timeoutMs: 100 });
  await sim.close();
});

const md = (content: string) => ({ msgtype: 'markdown', markdown: { content } });

describe('proactive send', () => {
  it('pushes to a single chat and a group with chat_type', async () => {
    const sender = new ProactiveSender({ transport: conn });
    const single = await sender.send('zhangsan', md('to you'), { chatType: 'single' });
    const group = await sender.send('wrchat-1', md('to all'), { chatType: 'group' });
    const auto = await sender.send('wrchat-2', md('auto'));
    expect([single.status, group.status, auto.status]).toEqual(['sent', 'sent', 'sent']);
    expect(sim.ws.sent(BOT).map((m) => [m.chatid, m.chatType, m.msgtype])).toEqual([
      ['zhangsan', 1, 'markdown'],
      ['wrchat-1', 2, 'markdown'],
      ['wrchat-2', undefined, 'markdown'],
    ]);
    const card = await sender.send(
      'wrchat-1',
      { msgtype: 'template_card', template_card: {} },
      { chatType: 'group' },
    );
    expect(card).toMatchObject({ status: 'failed', error: { code: 'invalid_request' } });
    const text = await sender.send('zhangsan', { msgtype: 'text', text: { content: 'x' } });
    expect(text).toMatchObject({ status: 'failed', error: { code: 'invalid_request' } });
  });

  it('queues past the quota of a conversation, never exceeding it, and keeps the order', async () => {
    const windowMs = 300;
    const sender = new ProactiveSender({ transport: conn, limits: [{ max: 3, windowMs }] });
    const outcomes = await Promise.all([
      ...Array.from({ length: 7 }, (_, i) => sender.send('zhangsan', md(`u${i}`), { chatType: 'single' })),
      ...Array.from({ length: 2 }, (_, i) => sender.send('wrchat-9', md(`g${i}`), { chatType: 'group' })),
    ]);
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    const toUser = sim.ws.sent(BOT).filter((m) => m.chatid === 'zhangsan');
    expect(toUser.map((m) => (m.body.markdown as { content: string }).content)).toEqual(
      Array.from({ length: 7 }, (_, i) => `u${i}`),
    );
    // Any 4 consecutive messages to one conversation span at least the window (small allowance for the socket).
    for (let i = 0; i + 3 < toUser.length; i++)
      expect(toUser[i + 3]!.at - toUser[i]!.at).toBeGreaterThanOrEqual(windowMs - 25);
    const waited = outcomes.filter(
      (o): o is Extract<SendOutcome, { status: 'sent' }> => o.status === 'sent' && o.waitedMs > 0,
    );
    expect(waited.length).toBeGreaterThanOrEqual(4);
  });

  it('reports rate_limited instead of queueing beyond maxWaitMs', async () => {
    const sender = new ProactiveSender({
      transport: conn,
      limits: [{ max: 2, windowMs: 60_000 }],
      maxWaitMs: 1000,
    });
    const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => sender.send('lisi', md(`${i}`))));
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'rate_limited', 'rate_limited']);
    expect(outcomes[2]).toMatchObject({ by: 'quota' });
    expect((outcomes[2] as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(1000);
    expect(sim.ws.sent(BOT)).toHaveLength(2);
  });

  it("reports WeCom's own 45009 as rate_limited (the server's quota of 30 a minute)", async () => {
    const sender = new ProactiveSender({ transport: conn, limits: [{ max: 100, windowMs: 60_000 }] });
    const outcomes = await Promise.all(
      Array.from({ length: 31 }, (_, i) => sender.send('wangwu', md(`${i}`))),
    );
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(30);
    expect(outcomes[30]).toMatchObject({ status: 'rate_limited', by: 'wecom' });
  });
});

describe('media upload', () => {
  it('uploads 3 MiB in 512 KiB chunks with one chunk failing once, and returns a media_id', async () => {
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024));
    sim.ws.inject({ kind: 'fail_chunk', chunkIndex: 2, count: 1 });
    const media = await uploadMedia(conn, { type: 'file', filename: 'report.bin', bytes, retryDelayMs: 10 });
    expect(media.mediaId).toMatch(/\S{10,}/);
    expect(media.chunkFrames).toBe(7);
    const [stored] = sim.ws.media(media.mediaId);
    expect(stored?.filename).toBe('report.bin');
    expect(stored?.bytes.equals(Buffer.from(bytes))).toBe(true);
    const inits = sim.ws.frames({ cmd: 'aibot_upload_media_init' });
    expect(inits[0]?.body).toMatchObject({ type: 'file', total_size: bytes.length, total_chunks: 6 });
    const chunks = sim.ws.frames({ cmd: 'aibot_upload_media_chunk' });
    expect(chunks.map((c) => c.answer?.errcode).filter((e) => e !== 0)).toEqual([-1]);
    expect(Math.max(...chunks.map((c) => Buffer.from(c.body.base64_data as string, 'base64').length))).toBe(
      512 * 1024,
    );
    // The media_id works in a reply and in a push.
    const sender = new ProactiveSender({ transport: conn });
    expect(
      await sender.send('zhangsan', { msgtype: 'file', file: { media_id: media.mediaId } }),
    ).toMatchObject({ status: 'sent' });
  });

  it('gives up on a chunk after its retries with a typed error', async () => {
    sim.ws.inject({ kind: 'fail_chunk', chunkIndex: 0, count: 3 });
    await expect(
      uploadMedia(conn, { type: 'file', filename: 'x.bin', bytes: new Uint8Array(100), retryDelayMs: 5 }),
    ).rejects.toMatchObject({ code: 'upload_failed' });
    await expect(
      uploadMedia(conn, { type: 'image', filename: 'x.png', bytes: new Uint8Array(11 * 1024 * 1024) }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});
