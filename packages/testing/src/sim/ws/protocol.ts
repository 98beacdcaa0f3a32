/**
 * The long-connection protocol as the simulated server speaks it: frames are JSON text
 * `{cmd, headers: {req_id}, body}`; answers are `{headers: {req_id}, errcode, errmsg[, body]}`.
 * errcodes are the ones WeCom is seen to answer; `simulated` marks our choice where none is known.
 */

export const WS_ERRCODES = {
  ok: { errcode: 0, errmsg: 'ok' },
  /** Wrong bot id or secret on subscribe. */
  subscribeRefused: { errcode: 853000, errmsg: 'signature incorrect' },
  rateLimited: { errcode: 45009, errmsg: 'api freq out of limit' },
  notSubscribed: { errcode: 846609, errmsg: 'aibot websocket not subscribed' },
  invalidReqId: { errcode: 846605, errmsg: 'invalid req_id' },
  streamExpired: { errcode: 846608, errmsg: 'stream message update expired' },
  invalidMsgType: { errcode: 40008, errmsg: 'invalid message type' },
  invalidParameter: { errcode: 40058, errmsg: 'invalid parameter' },
  invalidChatId: { errcode: 93006, errmsg: 'invalid chatid' },
  contentTooLarge: { errcode: 45002, errmsg: 'content size out of limit' },
  /** simulated: no code is documented for an unknown command. */
  unknownCmd: { errcode: 40058, errmsg: 'invalid parameter: unknown cmd (simulated)' },
  /** simulated: an upload session that is unknown, expired or another bot's. */
  invalidUpload: { errcode: 40058, errmsg: 'invalid upload_id (simulated)' },
  /** simulated: what an injected chunk fault answers. */
  systemError: { errcode: -1, errmsg: 'system error' },
} as const;

export type WsErrcodeName = keyof typeof WS_ERRCODES;

/** Replies that end a callback's answer: a finished stream, or any other reply. */
export function isFinalReply(cmd: string, body: unknown): boolean {
  if (cmd === 'aibot_respond_welcome_msg' || cmd === 'aibot_respond_update_msg') return true;
  if (cmd !== 'aibot_respond_msg') return false;
  const b = body as { msgtype?: unknown; stream?: { finish?: unknown } } | undefined;
  if (b?.msgtype !== 'stream') return true;
  return b.stream?.finish === true;
}

export interface ClientFrame {
  cmd: string | undefined;
  reqId: string;
  body: Record<string, unknown>;
}

/** A client frame, or undefined when it is not JSON with a req_id. */
export function parseClientFrame(data: Buffer | ArrayBuffer | Buffer[]): ClientFrame | undefined {
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const o = parsed as { cmd?: unknown; headers?: { req_id?: unknown }; body?: unknown };
  const reqId = o.headers?.req_id;
  if (typeof reqId !== 'string' || reqId.length === 0) return undefined;
  const body = o.body !== null && typeof o.body === 'object' ? (o.body as Record<string, unknown>) : {};
  return { cmd: typeof o.cmd === 'string' ? o.cmd : undefined, reqId, body };
}
