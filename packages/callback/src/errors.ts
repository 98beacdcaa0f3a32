/** Errors of the callback package: outbound targets that cannot be resolved, invalid payloads. */
import { WeComError } from '@maven/wecom-core';

export type TargetErrorCode = 'invalid_chat_id' | 'unknown_target' | 'ambiguous_target' | 'no_reply_target';

/**
 * A send or reply whose target cannot be resolved to exactly one app and user. Never resolved by
 * falling back to "the first app".
 */
export class WeComTargetError extends WeComError {
  declare readonly code: TargetErrorCode;
  constructor(code: TargetErrorCode, message: string) {
    super(code, message, { status: 400 });
    this.name = 'WeComTargetError';
  }
}

/** An outbound message or passive reply that WeCom would refuse (missing field, over a limit). */
export class WeComMessageError extends WeComError {
  constructor(message: string) {
    super('invalid_message', message, { status: 400 });
    this.name = 'WeComMessageError';
  }
}

/** Media over WeCom's size limit for its type, refused before any upload. */
export class WeComMediaTooLargeError extends WeComError {
  declare readonly code: 'media_too_large';
  readonly mediaType: string;
  readonly size: number;
  readonly limit: number;
  constructor(mediaType: string, size: number, limit: number) {
    super('media_too_large', `${mediaType} media of ${size} bytes exceeds ${limit} bytes`, { status: 413 });
    this.name = 'WeComMediaTooLargeError';
    this.mediaType = mediaType;
    this.size = size;
    this.limit = limit;
  }
}
