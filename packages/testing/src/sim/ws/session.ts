/**
 * One client socket of the simulated long-connection server: subscribe first (bot id + secret),
 * then pings, replies under the req_id of a callback pushed to this socket, proactive sends and
 * media uploads. Every frame is answered `{headers: {req_id}, errcode, errmsg[, body]}` in arrival
 * order (unless a fault delays or withholds the answer).
 */
import type { WebSocket } from 'ws';
import { randomCode } from '../../random.js';
import type { WsFaults } from './faults.js';
import { parseClientFrame, WS_ERRCODES, type WsErrcodeName } from './protocol.js';
import type { WsFrameRecord, WsSentMessage } from './types.js';
import { errorOf, type UploadAnswer, type WsUploads } from './uploads.js';

/** Stream frames are accepted for 6 minutes from a stream's first frame. */
export const STREAM_WINDOW_MS = 6 * 60 * 1000;
export const STREAM_CONTENT_MAX_BYTES = 20480;
const SEND_TYPES = new Set(['markdown', 'template_card', 'file', 'image', 'voice', 'video']);
const REPLY_TYPES = new Set([
  'stream',
  'markdown',
  'template_card',
  'file',
  'image',
  'voice',
  'video',
  'stream_with_template_card',
]);

export interface WsServerContext {
  now(): number;
  secretOf(botId: string): string | undefined;
  faults: WsFaults;
  uploads: WsUploads;
  /** A frame arrived (recorded) or was answered (updated). */
  recorded(frame: WsFrameRecord, isNew: boolean): void;
  /** A subscribe was answered; on success the server replaces the bot's older connection. */
  subscribed(session: WsSession, errcode: number): void;
  sentMessage(message: WsSentMessage): boolean;
  later(ms: number, fn: () => void): void;
}

interface Callback {
  cmd: string;
  eventtype: string | undefined;
  streams: Map<string, number>;
}

type Answer = { errcode: number; errmsg: string; body?: Record<string, unknown> };

function named(name: WsErrcodeName, detail?: string): Answer {
  const { errcode, errmsg } = WS_ERRCODES[name];
  return { errcode, errmsg: detail === undefined ? errmsg : `${errmsg}: ${detail}` };
}

function fromUpload(answer: UploadAnswer): Answer {
  return 'error' in answer ? errorOf(answer) : { ...WS_ERRCODES.ok, body: answer.body };
}

export class WsSession {
  botId: string | undefined;
  /** The bot id of the last subscribe, accepted or not. */
  attemptedBotId = '';
  subscribed = false;
  readonly #callbacks = new Map<string, Callback>();

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    private readonly ctx: WsServerContext,
    private readonly nextSeq: () => number,
  ) {
    socket.on('message', (data) => this.#onFrame(data as Buffer));
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Pushes a callback; false when the socket is not subscribed and open. */
  push(cmd: string, reqId: string, body: Record<string, unknown>): boolean {
    if (!this.subscribed || !this.open) return false;
    if (this.ctx.faults.has('silence', this.botId)) return false;
    const event = body.event as { eventtype?: unknown } | undefined;
    this.#callbacks.set(reqId, {
      cmd,
      eventtype: typeof event?.eventtype === 'string' ? event.eventtype : undefined,
      streams: new Map(),
    });
    this.socket.send(JSON.stringify({ cmd, headers: { req_id: reqId }, body }));
    return true;
  }

  /** WeCom's kick: `disconnected_event`, then the server closes the socket. */
  kick(): void {
    const body = {
      msgid: randomCode(16),
      create_time: Math.floor(this.ctx.now() / 1000),
      aibotid: this.botId,
      msgtype: 'event',
      event: { eventtype: 'disconnected_event' },
    };
    this.subscribed = false;
    if (!this.open) return;
    this.socket.send(
      JSON.stringify({ cmd: 'aibot_event_callback', headers: { req_id: randomCode(16) }, body }),
    );
    this.ctx.later(20, () => this.socket.close(1000, 'replaced'));
  }

  /** Ends the socket with no close frame (the peer sees 1006). */
  drop(): void {
    this.subscribed = false;
    this.socket.terminate();
  }

  #onFrame(data: Buffer): void {
    const frame = parseClientFrame(data);
    if (frame === undefined) return; // WeCom's handling of garbage is undocumented: it is ignored here
    const record: WsFrameRecord = {
      seq: this.nextSeq(),
      botId: this.botId,
      connection: this.id,
      cmd: frame.cmd,
      reqId: frame.reqId,
      body: frame.body,
      at: this.ctx.now(),
    };
    this.ctx.recorded(record, true);
    if (frame.cmd === undefined) return; // clients do not answer callbacks; nothing to say back
    const faults = this.ctx.faults;
    if (faults.has('silence', this.botId)) return;
    if (frame.cmd === 'ping' && faults.has('ignore_pings', this.botId)) return;
    const answer = this.#answer(frame.cmd, frame.reqId, frame.body);
    const send = (): void => {
      record.answer = answer;
      this.ctx.recorded(record, false);
      if (this.open) this.socket.send(JSON.stringify({ headers: { req_id: frame.reqId }, ...answer }));
      if (frame.cmd === 'aibot_subscribe') this.ctx.subscribed(this, answer.errcode);
    };
    const delay = faults.delayFor(frame.cmd, this.botId);
    if (delay > 0) this.ctx.later(delay, send);
    else send();
  }

  #answer(cmd: string, reqId: string, body: Record<string, unknown>): Answer {
    if (cmd === 'aibot_subscribe') return this.#subscribe(body);
    if (!this.subscribed || this.botId === undefined) return named('notSubscribed');
    const botId = this.botId;
    switch (cmd) {
      case 'ping':
        return { ...WS_ERRCODES.ok };
      case 'aibot_respond_msg':
      case 'aibot_respond_welcome_msg':
      case 'aibot_respond_update_msg':
        return this.#reply(cmd, reqId, body);
      case 'aibot_send_msg':
        return this.#sendMsg(botId, body);
      case 'aibot_upload_media_init':
        return fromUpload(this.ctx.uploads.init(botId, body));
      case 'aibot_upload_media_chunk': {
        const errcode = this.ctx.faults.take('fail_chunk', { chunkIndex: body.chunk_index });
        if (errcode !== undefined)
          return { errcode, errmsg: errcode === -1 ? 'system error' : 'simulated fault' };
        return fromUpload(this.ctx.uploads.chunk(botId, body));
      }
      case 'aibot_upload_media_finish':
        return fromUpload(this.ctx.uploads.finish(botId, body));
      default:
        return named('unknownCmd');
    }
  }

  #subscribe(body: Record<string, unknown>): Answer {
    const botId = typeof body.bot_id === 'string' ? body.bot_id : '';
    this.attemptedBotId = botId;
    const refused = this.ctx.faults.take('refuse_subscribe', { botId });
    if (refused !== undefined)
      return {
        errcode: refused,
        errmsg: refused === 45009 ? WS_ERRCODES.rateLimited.errmsg : 'simulated fault',
      };
    const secret = this.ctx.secretOf(botId);
    if (secret === undefined || body.secret !== secret) return named('subscribeRefused');
    this.botId = botId;
    this.subscribed = true;
    return { ...WS_ERRCODES.ok };
  }

  #reply(cmd: string, reqId: string, body: Record<string, unknown>): Answer {
    const callback = this.#callbacks.get(reqId);
    if (callback === undefined) return named('invalidReqId');
    const msgtype = body.msgtype;
    if (cmd === 'aibot_respond_welcome_msg') {
      if (callback.eventtype !== 'enter_chat') return named('invalidReqId');
      return msgtype === 'text' || msgtype === 'template_card'
        ? { ...WS_ERRCODES.ok }
        : named('invalidMsgType');
    }
    if (cmd === 'aibot_respond_update_msg') {
      if (callback.eventtype !== 'template_card_event') return named('invalidReqId');
      return body.response_type === 'update_template_card'
        ? { ...WS_ERRCODES.ok }
        : named('invalidParameter', 'response_type');
    }
    if (callback.cmd !== 'aibot_msg_callback') return named('invalidReqId');
    if (typeof msgtype !== 'string' || !REPLY_TYPES.has(msgtype)) return named('invalidMsgType');
    if (msgtype === 'stream') {
      const stream = body.stream as { id?: unknown; content?: unknown } | undefined;
      if (typeof stream?.id !== 'string' || stream.id.length === 0)
        return named('invalidParameter', 'stream.id');
      if (typeof stream.content === 'string' && Buffer.byteLength(stream.content) > STREAM_CONTENT_MAX_BYTES)
        return named('contentTooLarge');
      const first = callback.streams.get(stream.id);
      if (first === undefined) callback.streams.set(stream.id, this.ctx.now());
      else if (this.ctx.now() - first > STREAM_WINDOW_MS) return named('streamExpired');
    }
    return { ...WS_ERRCODES.ok };
  }

  #sendMsg(botId: string, body: Record<string, unknown>): Answer {
    const chatid = body.chatid;
    if (typeof chatid !== 'string' || chatid.length === 0) return named('invalidChatId');
    const msgtype = body.msgtype;
    if (typeof msgtype !== 'string' || !SEND_TYPES.has(msgtype)) return named('invalidMsgType');
    const chatType = typeof body.chat_type === 'number' ? body.chat_type : undefined;
    if (chatType !== undefined && chatType !== 0 && chatType !== 1 && chatType !== 2)
      return named('invalidParameter', 'chat_type');
    const accepted = this.ctx.sentMessage({
      botId,
      chatid,
      chatType,
      msgtype,
      body,
      at: this.ctx.now(),
    });
    return accepted ? { ...WS_ERRCODES.ok } : named('rateLimited');
  }
}
