/**
 * Frames of WeCom's AI-bot long connection: every message is one JSON object. Requests and
 * callbacks are `{cmd, headers: {req_id}, body}`; answers carry no `cmd`:
 * `{headers: {req_id}, errcode, errmsg[, body]}`. Correlation is only by `req_id`, and a reply to a
 * callback reuses the callback's req_id.
 */

/** WeCom's public long-connection endpoint (no path, no query). Private deployments have their own. */
export const WS_DEFAULT_URL = 'wss://openws.work.weixin.qq.com';

/** The commands of the protocol, as WeCom spells them. */
export const WS_CMD = {
  subscribe: 'aibot_subscribe',
  ping: 'ping',
  msgCallback: 'aibot_msg_callback',
  eventCallback: 'aibot_event_callback',
  respondMsg: 'aibot_respond_msg',
  respondWelcome: 'aibot_respond_welcome_msg',
  respondUpdate: 'aibot_respond_update_msg',
  sendMsg: 'aibot_send_msg',
  uploadInit: 'aibot_upload_media_init',
  uploadChunk: 'aibot_upload_media_chunk',
  uploadFinish: 'aibot_upload_media_finish',
} as const;

/** errcodes of the long connection that the client acts on. */
export const WS_ERRCODE = {
  /** Subscribe refused: the bot id and secret do not match (seen as "signature incorrect"). */
  subscribeRefused: 853000,
  /** "api freq out of limit": subscribing (or sending) too often. */
  freqLimit: 45009,
  /** A command other than subscribe on a socket that has not subscribed. */
  notSubscribed: 846609,
  /** A reply's req_id is not a callback of this connection (wrong type or an older connection). */
  invalidReqId: 846605,
  /** A stream frame more than 6 minutes after the stream's first frame. */
  streamExpired: 846608,
} as const;

/** The event WeCom pushes to the older connection when another one subscribes for the same bot. */
export const DISCONNECTED_EVENT = 'disconnected_event';

/** A callback pushed by WeCom (`aibot_msg_callback`, `aibot_event_callback`, or a newer command). */
export interface WsCallbackFrame {
  reqId: string;
  cmd: string;
  body: Record<string, unknown>;
}

/** WeCom's answer to one frame we sent. */
export interface WsAck {
  reqId: string;
  errcode: number;
  errmsg: string;
  body?: Record<string, unknown>;
}

export type DecodedFrame = { kind: 'callback'; frame: WsCallbackFrame } | { kind: 'ack'; ack: WsAck };

const HEX = '0123456789abcdef';

/** `<prefix>_<ms>_<8 hex>`, the shape WeCom's own client uses. */
export function newReqId(prefix: string, now: number): string {
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += HEX[b >> 4]! + HEX[b & 15]!;
  return `${prefix}_${now}_${hex}`;
}

export function encodeFrame(cmd: string, reqId: string, body?: Record<string, unknown>): string {
  return JSON.stringify(
    body === undefined ? { cmd, headers: { req_id: reqId } } : { cmd, headers: { req_id: reqId }, body },
  );
}

const decoder = new TextDecoder();
// Control bytes other than \t \n \r never belong in JSON text; WeCom's client strips them too.
function withoutControls(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) out += text[i];
  }
  return out;
}

function textOf(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return decoder.decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data))
    return decoder.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) {
    return data.map((d: ArrayBufferView) => textOf(d) ?? '').join('');
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A frame from WeCom, or undefined when it is not one (not JSON, no req_id). */
export function decodeFrame(data: unknown): DecodedFrame | undefined {
  const text = textOf(data);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = JSON.parse(withoutControls(text));
    } catch {
      return undefined;
    }
  }
  if (!isRecord(parsed) || !isRecord(parsed.headers)) return undefined;
  const reqId = parsed.headers.req_id;
  if (typeof reqId !== 'string' || reqId.length === 0) return undefined;
  if (typeof parsed.cmd === 'string' && parsed.cmd.length > 0) {
    return {
      kind: 'callback',
      frame: { reqId, cmd: parsed.cmd, body: isRecord(parsed.body) ? parsed.body : {} },
    };
  }
  const errcode = typeof parsed.errcode === 'number' ? parsed.errcode : Number(parsed.errcode ?? 0);
  const ack: WsAck = {
    reqId,
    errcode: Number.isFinite(errcode) ? errcode : -1,
    errmsg: typeof parsed.errmsg === 'string' ? parsed.errmsg : '',
  };
  if (isRecord(parsed.body)) ack.body = parsed.body;
  return { kind: 'ack', ack };
}

/** The eventtype of an event callback, if it is one. */
export function eventTypeOf(frame: WsCallbackFrame): string | undefined {
  if (frame.cmd !== WS_CMD.eventCallback) return undefined;
  const event = frame.body.event;
  return isRecord(event) && typeof event.eventtype === 'string' ? event.eventtype : undefined;
}
