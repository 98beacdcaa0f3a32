/** Errors of the long connection: one class, stable codes; never the bot secret in a message. */
import { redact, WeComError } from '@maven/wecom-core';
import type { WsAck } from './frames.js';

export type WsErrorCode =
  /** WeCom refused the subscribe for the bot id and secret (wrong secret): the connection stops. */
  | 'subscribe_refused'
  /** Subscribe failed (other than a wrong secret) more often than allowed in a row. */
  | 'subscribe_exhausted'
  /** The transport was lost more often than allowed in a row. */
  | 'reconnect_exhausted'
  /** WeCom answered a frame with a non-zero errcode (see `errcode`). */
  | 'ack_error'
  /** No answer to a frame within `ackTimeoutMs`. */
  | 'ack_timeout'
  /** The socket went away while the frame waited for its answer. */
  | 'connection_lost'
  /** Another connection subscribed for this bot: WeCom sent `disconnected_event`. */
  | 'connection_replaced'
  /** `close()` was called (or had run out of time) before the frame was answered. */
  | 'connection_closed'
  /** There is no subscribed connection to send on (e.g. a replica standing by). */
  | 'not_connected'
  /** More frames queued for one req_id than allowed. */
  | 'queue_full'
  /** A media upload did not complete (see the message and `cause`). */
  | 'upload_failed'
  /** Input that cannot be sent (e.g. a file too large or of the wrong type). */
  | 'invalid_request';

export class WeComWsError extends WeComError {
  declare readonly code: WsErrorCode;
  /** WeCom's errcode, when WeCom answered. */
  readonly errcode: number | undefined;
  /** WeCom's answer, when there was one (its errmsg redacted). */
  readonly ack: WsAck | undefined;
  constructor(code: WsErrorCode, message: string, options: { cause?: unknown; ack?: WsAck } = {}) {
    super(code, redact(message), {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      status: 502,
    });
    this.name = 'WeComWsError';
    this.errcode = options.ack?.errcode;
    this.ack = options.ack === undefined ? undefined : { ...options.ack, errmsg: redact(options.ack.errmsg) };
  }
}

export function ackError(what: string, ack: WsAck): WeComWsError {
  return new WeComWsError('ack_error', `${what} failed: errcode ${ack.errcode} ${ack.errmsg}`, { ack });
}

/** Why a frame cannot be sent in this connection state (undefined: it can). */
export function refusal(state: string, cmd: string): WeComWsError | undefined {
  if (state === 'open') return undefined;
  if (state === 'closing' || state === 'closed')
    return new WeComWsError('connection_closed', `${cmd}: the connection is closing`);
  if (state === 'replaced')
    return new WeComWsError('connection_replaced', `${cmd}: another connection took over this bot`);
  return new WeComWsError('not_connected', `${cmd}: not subscribed (state ${state})`);
}
