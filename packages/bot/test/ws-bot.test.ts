/**
 * What only the long connection has, through `WeComBot` against the simulator's WebSocket server:
 * stream snapshots under one req_id, the welcome in its limit, late replies by req_id, proactive
 * sends in both chat types, media upload in chunks, reconnect after a drop, a wrong secret, a
 * half-alive socket; and the webhook mode refusing `send`.
 */
import { randomBytes } from 'node:crypto';
import { botEvent, botText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DeliveryResult,
  WeComBot,
  type WeComBotOptions,
  WeComWsError,
  type WsConnection,
} from '../src/index.ts';
import { KEY, TOKEN } from './helpers.ts';
import { BOT, NodeWebSocket, SECRET, until } from './ws-helpers.ts';

let sim: WeComSimulator;
const bots: WeComBot[] = [];

function wsBot(connection: Record<string, unknown> = {}, options: Partial<WeComBotOptions> = {}) {
  const lines: string[] = [];
  const log = (m: string, f?: Record<string, unknown>) => void lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  const bot = new WeComBot({
    connection: {
      mode: 'websocket',
      botId: BOT,
      secret: SECRET,
      url: sim.wsUrl,
      WebSocket: NodeWebSocket,
      reconnect: { baseMs: 20, maxMs: 100 },
      ...connection,
    },
    logger: { debug: log, info: log, warn: log, error: log },
    ...options,
  });
  const results: DeliveryResult[] = [];
  bot.on('reply.delivered', (r) => void results.push(r));
  bot.on('reply.failed', (r) => void results.push(r));
  bots.push(bot);
  return { bot, lines, results };
}

const push = (message: object) => sim.ws.push(BOT, message as Record<string, unknown>);

beforeEach(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
});

afterEach(async () => {
  for (const b of bots.splice(0)) await b.close({ timeoutMs: 500 });
  await sim.close();
});

describe('replies on the long connection', () => {
  it('streams as snapshot frames under the callback req_id, the last one finished', async () => {
    const { bot, results } = wsBot();
    bot.on('text', async (_m, ctx) => {
      const s = ctx.stream();
      await s.append('Hel');
      await s.append('lo, ');
      await new Promise((r) => setTimeout(r, 30));
      await s.append('world');
      await s.finish();
    });
    await bot.start();
    const { reqId } = push(botText({ content: 'stream please' }));
    const frames = await sim.ws.waitForReply(reqId);
    expect(new Set(frames.map((f) => f.reqId))).toEqual(new Set([reqId]));
    expect(new Set(frames.map((f) => f.cmd))).toEqual(new Set(['aibot_respond_msg']));
    const streams = frames.map((f) => f.body.stream as { id: string; finish: boolean; content: string });
    expect(new Set(streams.map((s) => s.id)).size).toBe(1);
    // Snapshots: each frame's content is a prefix of the next (the whole so far, never a delta).
    for (let i = 1; i < streams.length; i++)
      expect(streams[i]!.content.startsWith(streams[i - 1]!.content)).toBe(true);
    expect(streams.at(-1)).toMatchObject({ finish: true, content: 'Hello, world' });
    expect(streams.slice(0, -1).every((s) => !s.finish)).toBe(true);
    await until(() => results.some((r) => r.ok && r.kind === 'stream' && r.finish), 2000, 'stream delivered');
    expect(results.filter((r) => r.ok && r.finish)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('sends the welcome as aibot_respond_welcome_msg within the 5 s limit', async () => {
    const { bot } = wsBot();
    bot.on('event.enter_chat', (_e, ctx) => void ctx.welcome('你好'));
    await bot.start();
    const { reqId, at } = push(botEvent('enter_chat'));
    const [frame] = await sim.ws.waitForReply(reqId);
    expect(frame).toMatchObject({
      cmd: 'aibot_respond_welcome_msg',
      body: { msgtype: 'text', text: { content: '你好' } },
    });
    expect(frame!.at - at).toBeLessThan(5000);
  });

  it('answers after the deadline by req_id, and bot.reply({ msgId }) later too', async () => {
    const { bot } = wsBot({}, { deadlineMs: 50 });
    bot.on('text', async (_m, ctx) => {
      // Past the deadline the callback's first answer (here: none) is settled; replies go late.
      await until(() => !ctx.passiveOpen, 2000, 'the deadline');
      await ctx.reply('late but here');
    });
    await bot.start();
    const message = botText({ content: 'slow' });
    const { reqId } = push(message);
    const [late] = await sim.ws.waitForReply(reqId);
    expect(late?.body).toEqual({ msgtype: 'markdown', markdown: { content: 'late but here' } });
    const again = await bot.reply({ msgId: message.msgid as string }, 'and once more');
    expect(again).toMatchObject({ ok: true, channel: 'websocket', kind: 'markdown' });
    expect(sim.ws.frames({ reqId }).map((f) => (f.body.markdown as { content: string }).content)).toEqual([
      'late but here',
      'and once more',
    ]);
    await expect(bot.reply({ msgId: 'never-seen' }, 'x')).rejects.toMatchObject({
      code: 'unknown_reply_target',
    });
  });
});

describe('proactive send and upload', () => {
  it('sends to a single chat and to a group (aibot_send_msg)', async () => {
    const { bot } = wsBot();
    await bot.start();
    expect(bot.capabilities).toMatchObject({ reactiveOnly: false, fileUpload: true, transport: 'websocket' });
    const md = (content: string) => ({ msgtype: 'markdown', markdown: { content } });
    const one = await bot.send('zhangsan', md('to you'), { chatType: 'single' });
    const group = await bot.send('wrgroup-1', md('to all'), { chatType: 'group' });
    expect([one.status, group.status]).toEqual(['sent', 'sent']);
    expect(sim.ws.sent(BOT).map((m) => [m.chatid, m.chatType, m.msgtype])).toEqual([
      ['zhangsan', 1, 'markdown'],
      ['wrgroup-1', 2, 'markdown'],
    ]);
  });

  it('uploads 3 MiB in chunks with one chunk failing once, then sends it by media_id', async () => {
    const { bot } = wsBot();
    await bot.start();
    const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024));
    sim.ws.inject({ kind: 'fail_chunk', chunkIndex: 3, count: 1 });
    const media = await bot.uploadMedia({ type: 'file', filename: 'report.bin', bytes });
    expect(media.chunkFrames).toBe(7);
    expect(Buffer.compare(sim.ws.media(media.mediaId)[0]!.bytes, Buffer.from(bytes))).toBe(0);
    const sent = await bot.send('zhangsan', { msgtype: 'file', file: { media_id: media.mediaId } });
    expect(sent.status).toBe('sent');
  });

  it('webhook mode refuses send and uploadMedia with a typed error', async () => {
    const bot = new WeComBot({ token: TOKEN, encodingAESKey: KEY });
    bots.push(bot);
    await bot.start();
    const md = { msgtype: 'markdown', markdown: { content: 'x' } };
    await expect(bot.send('zhangsan', md)).rejects.toBeInstanceOf(WeComWsError);
    await expect(bot.send('zhangsan', md)).rejects.toMatchObject({ code: 'not_connected' });
    await expect(
      bot.uploadMedia({ type: 'file', filename: 'a', bytes: new Uint8Array(9) }),
    ).rejects.toMatchObject({
      code: 'not_connected',
    });
  });
});

describe('connection lifecycle through the bot', () => {
  it('reconnects after a dropped socket and answers every message pushed after the reconnect', async () => {
    const { bot } = wsBot();
    const answered: string[] = [];
    bot.on('text', async (m, ctx) => {
      answered.push(m.text);
      await ctx.reply(`re: ${m.text}`);
    });
    await bot.start();
    expect(sim.ws.drop(BOT)).toBe(1);
    await sim.ws.waitForSubscribe(BOT, { count: 2 });
    await until(() => sim.ws.connected(BOT), 2000, 'connected again');
    const reqIds = Array.from({ length: 5 }, (_, i) => push(botText({ content: `after ${i}` })).reqId);
    for (const reqId of reqIds) await sim.ws.waitForReply(reqId);
    expect(
      sim.ws
        .pushes(BOT)
        .slice(-5)
        .every((p) => p.delivered),
    ).toBe(true);
    expect(answered.sort()).toEqual(['after 0', 'after 1', 'after 2', 'after 3', 'after 4']);
  });

  it('stops on a wrong secret: start() rejects with subscribe_refused, no secret anywhere', async () => {
    const wrong = 'Wrong-Bot-Secret-0987654321-zyxw';
    const { bot, lines } = wsBot({ secret: wrong });
    const error = await bot.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WeComWsError);
    expect(error).toMatchObject({ code: 'subscribe_refused', errcode: 853000 });
    expect((bot.connection as WsConnection).subscribes).toBe(0);
    expect(sim.ws.subscribes(BOT).map((s) => s.errcode)).toEqual([853000]);
    const text = JSON.stringify({
      m: (error as Error).message,
      ack: (error as WeComWsError).ack,
      lines,
      bot,
    });
    expect(text).not.toContain(wrong);
    expect(lines.some((l) => l.includes('subscribe_refused') || l.includes('stopped'))).toBe(true);
  });

  it('replaces a half-alive connection and answers messages on the new one', async () => {
    const { bot } = wsBot({ heartbeatIntervalMs: 40, deadAfterMs: 120 });
    bot.on('text', (_m, ctx) => void ctx.reply('alive'));
    await bot.start();
    const reasons: string[] = [];
    const conn = bot.connection as WsConnection;
    conn.on('lost', (info) => {
      reasons.push(info.reason);
      sim.ws.clearFaults();
    });
    sim.ws.inject({ kind: 'silence', botId: BOT });
    await sim.ws.waitForSubscribe(BOT, { count: 2, timeoutMs: 3000 });
    expect(reasons[0]).toMatch(/half-alive/);
    await until(() => sim.ws.connected(BOT), 2000, 'connected again');
    const { reqId } = push(botText({ content: 'still there?' }));
    const [frame] = await sim.ws.waitForReply(reqId);
    expect((frame!.body.stream as { content: string }).content).toBe('alive');
    expect(sim.ws.frames({ cmd: 'aibot_subscribe' }).map((f) => f.connection)).toEqual([1, 2]);
  });
});
