/** Outcomes of replies: every reply ends as exactly one `reply.delivered` or `reply.failed`. */
import { type Logger, recordReply, type WeComError } from '@maven/wecom-core';

/**
 * Where a reply went: inside the callback's answer (the HTTP response, or on the long connection
 * the first frame under the callback's req_id), POSTed to the message's response_url, or as a later
 * frame on the long connection (stream snapshots after the first, late replies, proactive sends).
 */
export type ReplyChannel = 'passive' | 'response_url' | 'websocket';

export type ReplyKind =
  | 'stream'
  | 'stream_with_template_card'
  | 'template_card'
  | 'text'
  | 'markdown'
  | 'update_template_card';

export type ReplyFailureReason =
  /** No response_url is remembered for the msgId/chat (expired, never had one, or unknown). */
  | 'no_target'
  /** The response_url was already used (it is single-use), here or on another replica. */
  | 'response_url_used'
  /** The message's response_url is not an absolute http(s) URL: refused, nothing was sent. */
  | 'response_url_invalid'
  /** WeCom answered a non-retryable errcode (44004, 45002, …) or retries ran out on -1/6000. */
  | 'api_error'
  /** An HTTP status WeCom should not send (4xx), or 429/5xx after the last retry. */
  | 'http_error'
  /** The request may have reached WeCom but the answer was lost or unreadable; not resent. */
  | 'unknown_outcome'
  /** The request certainly did not reach WeCom (connection refused, DNS). */
  | 'network_error'
  /** A passive-only reply (welcome, card update) after the callback was answered. */
  | 'deadline_passed'
  /** WeCom does not allow this reply here (e.g. a template card via response_url in a group). */
  | 'unsupported'
  /** The bot is closing or closed. */
  | 'closed'
  /** The Store failed, so single use could not be guaranteed; nothing was sent. */
  | 'store_error';

interface DeliveryBase {
  channel: ReplyChannel;
  kind: ReplyKind;
  msgId?: string;
  chatId?: string;
  streamId?: string;
  /** True when the content was cut to 20480 bytes. */
  truncated?: boolean;
}

export interface ReplyDelivered extends DeliveryBase {
  ok: true;
  /** Stream frames: whether this frame finished the stream. */
  finish?: boolean;
}

export interface ReplyFailed extends DeliveryBase {
  ok: false;
  reason: ReplyFailureReason;
  error: WeComError;
}

/** What reply methods resolve with; they never reject for a delivery failure. */
export type DeliveryResult = ReplyDelivered | ReplyFailed;

/** Logs a reply's outcome (debug when delivered, warn when failed) and records it in the metrics. */
export function recordDelivery(logger: Logger, result: DeliveryResult): void {
  recordReply(result.channel, result.kind, result.ok ? undefined : result.reason);
  if (result.ok) {
    logger.debug('reply delivered', { channel: result.channel, kind: result.kind, msgId: result.msgId });
    return;
  }
  logger.warn('reply failed', {
    channel: result.channel,
    kind: result.kind,
    msgId: result.msgId,
    reason: result.reason,
    error: result.error,
  });
}
