/**
 * The simulated long-connection server, driven the way WeCom's protocol describes (a raw `ws`
 * client, not our SDK's): subscribe, refusals with WeCom's errcodes, heartbeats, pushed callbacks,
 * an answer per reply frame, proactive sends, media upload sessions, replacement, faults.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { botEvent, botText, startWeComSimulator, type WeComSimulator } from '../src/index.ts';

const BOT = 'aibot-sim-ws';
const SECRET = 'sim-ws-secret-0123456789';

interface Frame {
  cmd?: string;
  headers: { req_id: string };
  errcode?: number;
  errmsg?: string;
  body?: Record<string, unknown>;
}

class Client {
  readonly frames: Frame[] = [];
  closed: number | undefined;
  #n = 0;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    socket.on('close', (code) => {
      this.closed = code;
    });
  }
  static async open(url: string): Promise<Client> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new Client(socket);
  }
  async next(predicate: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(predicate);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no such frame; got ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  /** Sends a command and resolves with the answer echoing its req_id. */
  async call(
    cmd: string,
    body?: Record<string, unknown>,
    reqId = `${cmd}_${Date.now()}_${++this.#n}`,
  ): Promise<Frame> {
    this.socket.send(
      JSON.stringify(
        body === undefined ? { cmd, headers: { req_id: reqId } } : { cmd, headers: { req_id: reqId }, body },
      ),
    );
    return this.next(
      (f) => f.cmd === undefined && f.headers.req_id === reqId && !this.#used.has(f) && this.#use(f),
    );
  }
  readonly #used = new Set<Frame>();
  #use(f: Frame): boolean {
    this.#used.add(f);
    return true;
  }
  subscribe(secret = SECRET, botId = BOT): Promise<Frame> {
    return this.call('aibot_subscribe', { bot_id: botId, secret });
  }
  close(): void {
    this.socket.terminate();
  }
}

let sim: WeComSimulator;
const clients: Client[] = [];
async function client(): Promise<Client> {
  const c = await Client.open(sim.wsUrl);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  sim = await startWeComSimulator({ bots: [{ botId: BOT, secret: SECRET }] });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim.close();
});

describe('subscribe', () => {
  it('refuses a wrong secret with 853000, an unknown bot too, and commands before subscribe with 846609', async () => {
    const c = await client();
    expect((await c.call('ping')).errcode).toBe(846609);
    expect((await c.subscribe('wrong')).errcode).toBe(853000);
    expect((await c.subscribe(SECRET, 'nobody')).errcode).toBe(853000);
    expect(sim.ws.connected(BOT)).toBe(false);
    const ok = await c.subscribe();
    expect([ok.errcode, ok.errmsg]).toEqual([0, 'ok']);
    expect((await c.call('ping')).errcode).toBe(0);
    expect(sim.ws.subscribes(BOT).map((s) => s.errcode)).toEqual([853000, 0]);
  });

  it('refuses with 45009 when told to, then accepts', async () => {
    sim.ws.inject({ kind: 'refuse_subscribe' });
    const c = await client();
    expect((await c.subscribe()).errcode).toBe(45009);
    expect((await c.subscribe()).errcode).toBe(0);
  });

  it('a second subscribe kicks the first connection: disconnected_event, then close', async () => {
    const a = await client();
    await a.subscribe();
    const b = await client();
    await b.subscribe();
    const kicked = await a.next((f) => f.cmd === 'aibot_event_callback');
    expect(kicked.body).toMatchObject({ msgtype: 'event', event: { eventtype: 'disconnected_event' } });
    expect(kicked.body?.from).toBeUndefined();
    for (let i = 0; i < 200 && a.closed === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect(a.closed).toBe(1000);
    expect(sim.ws.connected(BOT)).toBe(true);
    // Callbacks now go to the new connection only.
    const pushed = sim.ws.push(BOT, botText({ content: 'x' }) as unknown as Record<string, unknown>);
    expect(pushed.connection).toBe(2);
    await b.next((f) => f.headers.req_id === pushed.reqId);
  });
});

describe('callbacks and replies', () => {
  it('pushes a message, answers each stream frame under its req_id, refuses wrong ones', async () => {
    const c = await client();
    await c.subscribe();
    const pushed = sim.ws.push(
      BOT,
      botText({ content: 'hello', chatid: 'wrchat-7' }) as unknown as Record<string, unknown>,
    );
    const cb = await c.next((f) => f.cmd === 'aibot_msg_callback');
    expect(cb.headers.req_id).toBe(pushed.reqId);
    expect(cb.body).toMatchObject({ chattype: 'group', chatid: 'wrchat-7', text: { content: 'hello' } });
    for (const [i, content] of ['1', '12', '123'].entries()) {
      const ack = await c.call(
        'aibot_respond_msg',
        { msgtype: 'stream', stream: { id: 's', finish: i === 2, content } },
        pushed.reqId,
      );
      expect(ack.errcode).toBe(0);
    }
    const replies = await sim.ws.waitForReply(pushed.reqId);
    expect(replies).toHaveLength(3);
    expect(
      (await c.call('aibot_respond_msg', { msgtype: 'markdown', markdown: { content: 'x' } }, 'nope'))
        .errcode,
    ).toBe(846605);
    expect(
      (await c.call('aibot_respond_msg', { msgtype: 'text', text: { content: 'x' } }, pushed.reqId)).errcode,
    ).toBe(40008);
    const big = 'x'.repeat(20481);
    expect(
      (
        await c.call(
          'aibot_respond_msg',
          { msgtype: 'stream', stream: { id: 't', content: big } },
          pushed.reqId,
        )
      ).errcode,
    ).toBe(45002);
  });

  it('takes a welcome only for enter_chat, and a card update only for template_card_event', async () => {
    const c = await client();
    await c.subscribe();
    const enter = sim.ws.push(BOT, botEvent('enter_chat') as unknown as Record<string, unknown>);
    expect(enter.cmd).toBe('aibot_event_callback');
    await c.next((f) => f.headers.req_id === enter.reqId);
    expect(
      (await c.call('aibot_respond_msg', { msgtype: 'markdown', markdown: { content: 'x' } }, enter.reqId))
        .errcode,
    ).toBe(846605);
    expect(
      (await c.call('aibot_respond_update_msg', { response_type: 'update_template_card' }, enter.reqId))
        .errcode,
    ).toBe(846605);
    expect(
      (await c.call('aibot_respond_welcome_msg', { msgtype: 'text', text: { content: 'hi' } }, enter.reqId))
        .errcode,
    ).toBe(0);
    expect((await sim.ws.waitForReply(enter.reqId)).map((f) => f.cmd)).toEqual(['aibot_respond_welcome_msg']);
  });

  it('records aibot_send_msg in both chat types and enforces 30 a minute per conversation', async () => {
    const c = await client();
    await c.subscribe();
    const md = { msgtype: 'markdown', markdown: { content: 'hi' } };
    expect((await c.call('aibot_send_msg', { chatid: 'zhangsan', chat_type: 1, ...md })).errcode).toBe(0);
    expect((await c.call('aibot_send_msg', { chatid: 'wrchat-1', chat_type: 2, ...md })).errcode).toBe(0);
    expect((await c.call('aibot_send_msg', { chat_type: 1, ...md })).errcode).toBe(93006);
    expect(
      (await c.call('aibot_send_msg', { chatid: 'zhangsan', msgtype: 'text', text: { content: 'x' } }))
        .errcode,
    ).toBe(40008);
    for (let i = 0; i < 29; i++)
      expect((await c.call('aibot_send_msg', { chatid: 'zhangsan', ...md })).errcode).toBe(0);
    expect((await c.call('aibot_send_msg', { chatid: 'zhangsan', ...md })).errcode).toBe(45009);
    expect(sim.ws.sent(BOT).filter((m) => m.chatid === 'zhangsan')).toHaveLength(30);
    expect(sim.ws.sent(BOT).find((m) => m.chatid === 'wrchat-1')?.chatType).toBe(2);
  });
});

describe('media upload sessions', () => {
  it('init → chunks in any order (a repeat ignored) → finish with md5 → media_id', async () => {
    const c = await client();
    await c.subscribe();
    const bytes = randomBytes(1000);
    const md5 = createHash('md5').update(bytes).digest('hex');
    const init = await c.call('aibot_upload_media_init', {
      type: 'file',
      filename: 'a.bin',
      total_size: 1000,
      total_chunks: 2,
      md5,
    });
    const uploadId = init.body?.upload_id as string;
    expect(uploadId).toBeTruthy();
    const chunk = (i: number) => ({
      upload_id: uploadId,
      chunk_index: i,
      base64_data: bytes.subarray(i * 500, i * 500 + 500).toString('base64'),
    });
    expect((await c.call('aibot_upload_media_chunk', chunk(1))).errcode).toBe(0);
    expect((await c.call('aibot_upload_media_chunk', chunk(1))).errcode).toBe(0);
    expect((await c.call('aibot_upload_media_finish', { upload_id: uploadId })).errcode).toBe(40058);
    expect((await c.call('aibot_upload_media_chunk', { ...chunk(0), chunk_index: 2 })).errcode).toBe(40058);
    expect((await c.call('aibot_upload_media_chunk', chunk(0))).errcode).toBe(0);
    const finish = await c.call('aibot_upload_media_finish', { upload_id: uploadId });
    expect(finish.errcode).toBe(0);
    expect(finish.body).toMatchObject({ type: 'file' });
    const [stored] = sim.ws.media(finish.body?.media_id as string);
    expect(stored?.bytes.equals(bytes)).toBe(true);
    const bad = await c.call('aibot_upload_media_init', {
      type: 'file',
      filename: 'b',
      total_size: 5,
      total_chunks: 1,
      md5: '0'.repeat(32),
    });
    await c.call('aibot_upload_media_chunk', {
      upload_id: bad.body?.upload_id,
      chunk_index: 0,
      base64_data: Buffer.from('hello').toString('base64'),
    });
    expect((await c.call('aibot_upload_media_finish', { upload_id: bad.body?.upload_id })).errmsg).toMatch(
      /md5/,
    );
  });
});

describe('faults', () => {
  it('ignores pings while told to, delays answers, and drops sockets', async () => {
    const c = await client();
    await c.subscribe();
    sim.ws.inject({ kind: 'ignore_pings' });
    c.socket.send(JSON.stringify({ cmd: 'ping', headers: { req_id: 'p-silent' } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.some((f) => f.headers.req_id === 'p-silent')).toBe(false);
    expect(sim.ws.frames({ reqId: 'p-silent' })).toHaveLength(1);
    sim.ws.clearFaults();
    sim.ws.inject({ kind: 'delay_acks', ms: 50 });
    expect((await c.call('ping')).errcode).toBe(0);
    expect(sim.ws.drop(BOT)).toBe(1);
    for (let i = 0; i < 200 && c.closed === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect(c.closed).toBe(1006);
    expect(
      sim.ws.push(BOT, botText({ content: 'lost' }) as unknown as Record<string, unknown>).delivered,
    ).toBe(false);
  });
});
