/**
 * The simulated long-connection server (WeCom's `wss://openws.work.weixin.qq.com`), on the
 * simulator's HTTP port: any WebSocket upgrade is a long connection. Bots are registered with
 * their bot id and secret; a subscribe replaces the bot's older connection (`disconnected_event`,
 * then close), callbacks are pushed to the bot's subscribed connection, and everything clients
 * send is recorded with the answer it got.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WeComConfigError } from '@maven/wecom-crypto';
import { type WebSocket, WebSocketServer } from 'ws';
import { randomCode } from '../../random.js';
import { CallRecorder } from '../recorder.js';
import { WsFaults } from './faults.js';
import { isFinalReply } from './protocol.js';
import { WsSession } from './session.js';
import type {
  WsBotOptions,
  WsFaultSpec,
  WsFrameRecord,
  WsPushRecord,
  WsSentMessage,
  WsSubscribeRecord,
  WsWaitOptions,
} from './types.js';
import { type WsUploadedMedia, WsUploads } from './uploads.js';

/** Per conversation, replies and pushes together (WeCom's documented quota). */
const SEND_LIMITS = [
  { max: 30, windowMs: 60_000 },
  { max: 1000, windowMs: 3_600_000 },
];

export interface FrameFilter {
  botId?: string;
  cmd?: string;
  reqId?: string;
  connection?: number;
}

export interface WsSimulator {
  /** `ws://127.0.0.1:<port>`: the long-connection URL to give a client instead of WeCom's. */
  readonly url: string;
  addBot(bot: WsBotOptions): void;
  readonly bots: readonly string[];
  /** True while the bot has a subscribed, open connection. */
  connected(botId: string): boolean;
  /** Pushes a callback (`aibot_msg_callback`, or `aibot_event_callback` for msgtype "event"). */
  push(
    botId: string,
    body: Record<string, unknown>,
    options?: { cmd?: string; reqId?: string },
  ): WsPushRecord;
  pushes(botId?: string): WsPushRecord[];
  /** Frames clients sent, in arrival order. */
  frames(filter?: FrameFilter): WsFrameRecord[];
  /** Resolves with the `count`-th (default 1st) frame matching `filter` once it was answered. */
  waitForFrame(filter: FrameFilter, options?: WsWaitOptions & { count?: number }): Promise<WsFrameRecord>;
  /** Reply frames under one callback's req_id, once the last one is final (finished stream, markdown…). */
  waitForReply(reqId: string, options?: WsWaitOptions): Promise<WsFrameRecord[]>;
  subscribes(botId?: string): WsSubscribeRecord[];
  waitForSubscribe(botId: string, options?: WsWaitOptions & { count?: number }): Promise<WsSubscribeRecord>;
  /** `aibot_send_msg` bodies accepted. */
  sent(botId?: string): WsSentMessage[];
  /** Media uploaded over long connections. */
  media(mediaId?: string): WsUploadedMedia[];
  inject(fault: WsFaultSpec | readonly WsFaultSpec[]): void;
  clearFaults(): void;
  /** Ends the bot's sockets (all when no bot is given) with no close frame. Returns how many. */
  drop(botId?: string): number;
  /** Sends `disconnected_event` to the bot's connection and closes it, as WeCom does. */
  kick(botId: string): boolean;
}

export class WsEndpoint implements WsSimulator {
  url = '';
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 2 * 1024 * 1024 });
  readonly #secrets = new Map<string, string>();
  readonly #sessions = new Set<WsSession>();
  readonly #frames: WsFrameRecord[] = [];
  readonly #pushes: WsPushRecord[] = [];
  readonly #subscribes: WsSubscribeRecord[] = [];
  readonly #sent: WsSentMessage[] = [];
  readonly #sendLog = new Map<string, number[]>();
  readonly #faults = new WsFaults();
  readonly #uploads: WsUploads;
  readonly #waits = new CallRecorder();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #now: () => number;
  #connections = 0;
  #seq = 0;

  constructor(now: () => number, bots: readonly WsBotOptions[]) {
    this.#now = now;
    this.#uploads = new WsUploads(now);
    for (const bot of bots) this.addBot(bot);
  }

  attach(server: Server, url: string): void {
    this.url = url;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    });
  }

  get bots(): readonly string[] {
    return [...this.#secrets.keys()];
  }

  addBot(bot: WsBotOptions): void {
    if (bot === null || typeof bot !== 'object')
      throw new WeComConfigError('addBot: { botId, secret } required');
    if (typeof bot.botId !== 'string' || bot.botId.length === 0)
      throw new WeComConfigError('addBot: botId required');
    if (typeof bot.secret !== 'string' || bot.secret.length === 0)
      throw new WeComConfigError('addBot: secret required');
    this.#secrets.set(bot.botId, bot.secret);
  }

  #live(botId: string): WsSession | undefined {
    for (const s of this.#sessions) if (s.botId === botId && s.subscribed && s.open) return s;
    return undefined;
  }

  connected(botId: string): boolean {
    return this.#live(botId) !== undefined;
  }

  push(
    botId: string,
    body: Record<string, unknown>,
    options: { cmd?: string; reqId?: string } = {},
  ): WsPushRecord {
    const cmd = options.cmd ?? (body.msgtype === 'event' ? 'aibot_event_callback' : 'aibot_msg_callback');
    const reqId = options.reqId ?? randomCode(16);
    const session = this.#live(botId);
    const delivered = session?.push(cmd, reqId, body) ?? false;
    const record: WsPushRecord = {
      botId,
      cmd,
      reqId,
      body,
      delivered,
      connection: delivered ? session?.id : undefined,
      at: this.#now(),
    };
    this.#pushes.push(record);
    this.#waits.notify();
    return record;
  }

  pushes(botId?: string): WsPushRecord[] {
    return this.#pushes.filter((p) => botId === undefined || p.botId === botId);
  }

  frames(filter: FrameFilter = {}): WsFrameRecord[] {
    return this.#frames.filter(
      (f) =>
        (filter.botId === undefined || f.botId === filter.botId) &&
        (filter.cmd === undefined || f.cmd === filter.cmd) &&
        (filter.reqId === undefined || f.reqId === filter.reqId) &&
        (filter.connection === undefined || f.connection === filter.connection),
    );
  }

  waitForFrame(
    filter: FrameFilter,
    options: WsWaitOptions & { count?: number } = {},
  ): Promise<WsFrameRecord> {
    const n = options.count ?? 1;
    return this.#waits.waitUntil(
      () => {
        const hit = this.frames(filter)[n - 1];
        return hit?.answer === undefined ? undefined : hit;
      },
      options.timeoutMs ?? 5000,
      `frame #${n} of ${JSON.stringify(filter)}`,
    );
  }

  waitForReply(reqId: string, options: WsWaitOptions = {}): Promise<WsFrameRecord[]> {
    return this.#waits.waitUntil(
      () => {
        const replies = this.frames({ reqId }).filter((f) => f.answer?.errcode === 0);
        const last = replies.at(-1);
        return last !== undefined && last.cmd !== undefined && isFinalReply(last.cmd, last.body)
          ? replies
          : undefined;
      },
      options.timeoutMs ?? 5000,
      `a final reply to ${reqId}`,
    );
  }

  subscribes(botId?: string): WsSubscribeRecord[] {
    return this.#subscribes.filter((s) => botId === undefined || s.botId === botId);
  }

  waitForSubscribe(
    botId: string,
    options: WsWaitOptions & { count?: number } = {},
  ): Promise<WsSubscribeRecord> {
    const n = options.count ?? 1;
    return this.#waits.waitUntil(
      () => this.#subscribes.filter((s) => s.botId === botId && s.errcode === 0)[n - 1],
      options.timeoutMs ?? 5000,
      `subscribe #${n} of bot ${botId}`,
    );
  }

  sent(botId?: string): WsSentMessage[] {
    return this.#sent.filter((m) => botId === undefined || m.botId === botId);
  }

  media(mediaId?: string): WsUploadedMedia[] {
    if (mediaId === undefined) return this.#uploads.list();
    const item = this.#uploads.get(mediaId);
    return item === undefined ? [] : [item];
  }

  inject(fault: WsFaultSpec | readonly WsFaultSpec[]): void {
    const list: readonly WsFaultSpec[] = Array.isArray(fault) ? fault : [fault as WsFaultSpec];
    for (const f of list) this.#faults.add(f);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  drop(botId?: string): number {
    let n = 0;
    for (const s of this.#sessions) {
      if (botId !== undefined && s.botId !== botId) continue;
      s.drop();
      n++;
    }
    return n;
  }

  kick(botId: string): boolean {
    const session = this.#live(botId);
    session?.kick();
    return session !== undefined;
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#sessions) s.socket.terminate();
    this.#sessions.clear();
    this.#wss.close();
  }

  #accept(ws: WebSocket): void {
    const session = new WsSession(++this.#connections, ws, this.#context(), () => ++this.#seq);
    this.#sessions.add(session);
    ws.on('close', () => {
      this.#sessions.delete(session);
      this.#waits.notify();
    });
    ws.on('error', () => ws.terminate());
  }

  #context() {
    return {
      now: this.#now,
      secretOf: (botId: string) => this.#secrets.get(botId),
      faults: this.#faults,
      uploads: this.#uploads,
      recorded: (frame: WsFrameRecord, isNew: boolean) => {
        if (isNew) this.#frames.push(frame);
        this.#waits.notify();
      },
      subscribed: (session: WsSession, errcode: number) => this.#subscribed(session, errcode),
      sentMessage: (message: WsSentMessage) => this.#sentMessage(message),
      later: (ms: number, fn: () => void) => {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          fn();
        }, ms);
        this.#timers.add(t);
      },
    };
  }

  #subscribed(session: WsSession, errcode: number): void {
    const botId = errcode === 0 ? session.botId : undefined;
    this.#subscribes.push({
      botId: session.attemptedBotId,
      connection: session.id,
      errcode,
      at: this.#now(),
    });
    if (botId !== undefined) {
      for (const other of this.#sessions)
        if (other !== session && other.botId === botId && other.subscribed) other.kick();
    }
    this.#waits.notify();
  }

  #sentMessage(message: WsSentMessage): boolean {
    const key = `${message.botId}\n${message.chatid}`;
    const now = this.#now();
    const log = (this.#sendLog.get(key) ?? []).filter((t) => t > now - 3_600_000);
    if (SEND_LIMITS.some((l) => log.filter((t) => t > now - l.windowMs).length >= l.max)) return false;
    log.push(now);
    this.#sendLog.set(key, log);
    this.#sent.push(message);
    return true;
  }
}
