/**
 * The long-connection client against the simulated WeCom server over real WebSockets on 127.0.0.1:
 * subscribe, heartbeats, callbacks, ordered acks per req_id, reconnects, half-alive detection,
 * subscribe failures, replacement, graceful close, media decryption with a message's own aeskey.
 */
import { randomBytes } from 'node:crypto';
import { botEvent, botText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decryptWsMedia,
  WeComWsError,
  type WsCallbackFrame,
  WsConnection,
  type WsConnectionOptions,
} from '../src/index.ts';
import { BOT, NodeWebSocket, SECRET, sleep, until } from './ws-helpers.ts';

let sim: WeComSimulator;
const open: WsConnection[] = [];

function connect(options: Partial<WsConnectionOptions> = {}): WsConnection {
  const conn = new WsConnection({
    botId: BOT,
    secret: SECRET,
    url: sim.wsUrl,
    WebSocket: NodeWebSocket,
    reconnect: { baseMs: 20, maxMs: 100 },
    ...options,
  });
  open.push(conn);
  return conn;
}

beforeEach(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
});

afterEach(async () => {
  for (const c of open.splice(0)) await c.close({ timeoutMs: 100 });
  await sim.close();
});

describe('subscribe', () => {
  it('subscribes with the bot id and secret, once', async () => {
    const conn = connect();
    await conn.start();
    expect(conn.state).toBe('open');
    expect(sim.ws.connected(BOT)).toBe(true);
    const [sub] = sim.ws.frames({ cmd: 'aibot_subscribe' });
    expect(sub?.body).toMatchObject({ bot_id: BOT, secret: SECRET });
    expect(sim.ws.subscribes(BOT).map((s) => s.errcode)).toEqual([0]);
  });

  it('stops on a wrong secret with a typed error that carries no secret, and does not retry', async () => {
    const wrong = 'Wrong-Secret-zyxwvutsrq-9876543210';
    const conn = connect({ secret: wrong });
    const lines: string[] = [];
    const logged = connect({
      secret: wrong,
      logger: {
        debug() {},
        info() {},
        warn: (m, f) => lines.push(m + JSON.stringify(f)),
        error: (m, f) => lines.push(m + JSON.stringify(f)),
      },
    });
    const error = await conn.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await logged.start().catch(() => {});
    expect(error).toBeInstanceOf(WeComWsError);
    expect((error as WeComWsError).code).toBe('subscribe_refused');
    expect((error as WeComWsError).errcode).toBe(853000);
    expect(conn.state).toBe('stopped');
    expect(JSON.stringify({ m: (error as Error).message, a: (error as WeComWsError).ack })).not.toContain(
      wrong,
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(wrong);
    await sleep(200); // several backoff periods: a stopped connection must not subscribe again
    expect(sim.ws.subscribes(BOT).map((s) => s.errcode)).toEqual([853000, 853000]);
    await expect(conn.respond('x', { msgtype: 'markdown' })).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('backs off after 45009 (too frequent) and then subscribes', async () => {
    sim.ws.inject({ kind: 'refuse_subscribe', errcode: 45009, count: 2 });
    const conn = connect({ rateLimitedDelayMs: 50 });
    await conn.start();
    expect(sim.ws.subscribes(BOT).map((s) => s.errcode)).toEqual([45009, 45009, 0]);
  });
});

describe('frames', () => {
  it('sends heartbeats that WeCom answers', async () => {
    const conn = connect({ heartbeatIntervalMs: 20 });
    await conn.start();
    const third = await sim.ws.waitForFrame({ cmd: 'ping' }, { count: 3 });
    expect(third.answer?.errcode).toBe(0);
    expect(conn.state).toBe('open');
  });

  it('delivers pushed callbacks and acks stream snapshots in order under one req_id', async () => {
    const conn = connect();
    const got: WsCallbackFrame[] = [];
    conn.onCallback((frame) => {
      got.push(frame);
    });
    await conn.start();
    const pushed = sim.ws.push(BOT, botText({ content: 'hello' }) as unknown as Record<string, unknown>);
    expect(pushed.delivered).toBe(true);
    const frame = await until(() => got[0], 5000, 'the callback');
    expect(frame).toMatchObject({ reqId: pushed.reqId, cmd: 'aibot_msg_callback' });
    expect(frame.body).toMatchObject({ msgtype: 'text', text: { content: 'hello' } });
    sim.ws.inject({ kind: 'delay_acks', ms: 30, cmd: 'aibot_respond_msg' });
    const snapshots = ['1', '12', '123'];
    const acks = await Promise.all(
      snapshots.map((content, i) =>
        conn.respond(frame.reqId, { msgtype: 'stream', stream: { id: 's1', finish: i === 2, content } }),
      ),
    );
    expect(acks.map((a) => [a.reqId, a.errcode])).toEqual(snapshots.map(() => [pushed.reqId, 0]));
    const replies = await sim.ws.waitForReply(pushed.reqId);
    expect(replies.map((r) => (r.body.stream as { content: string }).content)).toEqual(snapshots);
    // In order: each frame went out after the previous answer.
    expect(replies.map((r) => r.seq)).toEqual([...replies.map((r) => r.seq)].sort((a, b) => a - b));
  });

  it('rejects a reply WeCom refuses with a typed error (req_id of an event on aibot_respond_msg)', async () => {
    const conn = connect();
    const got: WsCallbackFrame[] = [];
    conn.onCallback((f) => {
      got.push(f);
    });
    await conn.start();
    sim.ws.push(BOT, botEvent('enter_chat') as unknown as Record<string, unknown>);
    const event = await until(() => got[0]);
    await expect(
      conn.respond(event.reqId, { msgtype: 'markdown', markdown: { content: 'x' } }),
    ).rejects.toMatchObject({
      code: 'ack_error',
      errcode: 846605,
    });
    const ack = await conn.respond(
      event.reqId,
      { msgtype: 'text', text: { content: 'welcome' } },
      'aibot_respond_welcome_msg',
    );
    expect(ack.errcode).toBe(0);
  });

  it('times out a frame WeCom does not answer, and sends the next one of the req_id', async () => {
    const conn = connect({ ackTimeoutMs: 50 });
    const got: WsCallbackFrame[] = [];
    conn.onCallback((f) => {
      got.push(f);
    });
    await conn.start();
    sim.ws.push(BOT, botText({ content: 'x' }) as unknown as Record<string, unknown>);
    const frame = await until(() => got[0]);
    sim.ws.inject({ kind: 'delay_acks', ms: 300, cmd: 'aibot_respond_msg' });
    const results = await Promise.allSettled([
      conn.respond(frame.reqId, { msgtype: 'stream', stream: { id: 's', finish: false, content: 'a' } }),
      conn.respond(frame.reqId, { msgtype: 'stream', stream: { id: 's', finish: true, content: 'ab' } }),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as WeComWsError).code : 'ok'))).toEqual([
      'ack_timeout',
      'ack_timeout',
    ]);
    expect(sim.ws.frames({ reqId: frame.reqId })).toHaveLength(2);
  });
});

describe('lifecycle', () => {
  it('reconnects after a dropped socket; callbacks pushed after the reconnect all arrive', async () => {
    const conn = connect();
    const texts: string[] = [];
    conn.onCallback((f) => {
      texts.push((f.body.text as { content: string }).content);
    });
    await conn.start();
    expect(sim.ws.drop(BOT)).toBe(1);
    await sim.ws.waitForSubscribe(BOT, { count: 2 });
    await until(() => conn.state === 'open' && sim.ws.connected(BOT));
    for (let i = 0; i < 5; i++) {
      expect(
        sim.ws.push(BOT, botText({ content: `m${i}` }) as unknown as Record<string, unknown>).delivered,
      ).toBe(true);
    }
    await until(() => texts.length === 5);
    expect(texts).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(conn.subscribes).toBe(2);
  });

  it('replaces a half-alive connection (open socket, nothing received)', async () => {
    const conn = connect({ heartbeatIntervalMs: 20, deadAfterMs: 60 });
    await conn.start();
    const reasons: string[] = [];
    conn.on('lost', (info) => {
      reasons.push(info.reason);
      sim.ws.clearFaults();
    });
    sim.ws.inject({ kind: 'ignore_pings', botId: BOT });
    await sim.ws.waitForSubscribe(BOT, { count: 2 });
    expect(reasons[0]).toMatch(/half-alive/);
    await until(() => conn.state === 'open');
  });

  it('does not reconnect after disconnected_event (another connection took over)', async () => {
    const first = connect();
    await first.start();
    let replaced = 0;
    first.on('replaced', () => replaced++);
    const second = connect();
    await second.start();
    await until(() => replaced === 1);
    expect(first.state).toBe('replaced');
    await sleep(200);
    expect(sim.ws.subscribes(BOT).filter((s) => s.errcode === 0)).toHaveLength(2);
    expect(second.state).toBe('open');
    await expect(first.send('aibot_send_msg', {})).rejects.toMatchObject({ code: 'connection_replaced' });
  });

  it('close() drains frames in flight before closing', async () => {
    const conn = connect();
    const got: WsCallbackFrame[] = [];
    conn.onCallback((f) => {
      got.push(f);
    });
    await conn.start();
    sim.ws.push(BOT, botText({ content: 'x' }) as unknown as Record<string, unknown>);
    const frame = await until(() => got[0]);
    sim.ws.inject({ kind: 'delay_acks', ms: 50 });
    const reply = conn.respond(frame.reqId, { msgtype: 'markdown', markdown: { content: 'bye' } });
    const closed = await conn.close({ timeoutMs: 2000 });
    expect(closed.dropped).toBe(0);
    await expect(reply).resolves.toMatchObject({ errcode: 0 });
    expect(conn.state).toBe('closed');
    await expect(conn.respond(frame.reqId, { msgtype: 'markdown' })).rejects.toMatchObject({
      code: 'connection_closed',
    });
  });
});

describe('media', () => {
  it("decrypts media with the message's own aeskey", async () => {
    const key = randomBytes(32);
    const aeskey = key.toString('base64').replace(/=+$/, '');
    const bytes = new Uint8Array(randomBytes(1000));
    const url = sim.putMedia(bytes, { aesKey: key.toString('base64') });
    const encrypted = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(Buffer.from(encrypted).equals(Buffer.from(bytes))).toBe(false);
    const plain = await decryptWsMedia(encrypted, aeskey);
    expect(Buffer.from(plain).equals(Buffer.from(bytes))).toBe(true);
  });
});
