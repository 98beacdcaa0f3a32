/** Errors of the bot package: one class, stable string codes, never a secret in a message. */
import { WeComError } from '@maven/wecom-core';

export type BotErrorCode =
  /** An image or file that carries only a media_id: fetching it needs an access token the AI bot has not got. */
  | 'media_id_unsupported'
  /** The media URL's protocol or host is not allowed (SSRF guard). */
  | 'media_url_forbidden'
  /** The media is larger than `media.maxBytes` (declared or while streaming). */
  | 'media_too_large'
  /** The media download failed (HTTP status, network, timeout). */
  | 'media_download_failed'
  /** The downloaded bytes did not decrypt with the bot key (or the item's aeskey). */
  | 'media_decrypt_failed'
  /** The message has no media to download. */
  | 'no_media'
  /** `bot.reply()` was given a msgId or chat with no remembered response_url. */
  | 'unknown_reply_target'
  /** A reply that this message or event cannot take (e.g. `welcome` outside enter_chat, a bad card). */
  | 'invalid_reply'
  /** A stream image that is not PNG/JPEG, too large, or one too many. */
  | 'invalid_image'
  /** The stream was already finished. */
  | 'stream_finished'
  /** The message's response_url was already used (it is single-use). */
  | 'response_url_used'
  /** The message's response_url is not an absolute http(s) URL; nothing was sent. */
  | 'response_url_invalid'
  /** A passive-only reply (welcome, card update) after the callback was answered. */
  | 'deadline_passed'
  /** WeCom does not accept this reply here (e.g. a template card via response_url in a group). */
  | 'reply_unsupported'
  /** The bot is closed. */
  | 'bot_closed'
  /** A passive reply was chosen but its answer could not be built (encryption failed). */
  | 'passive_reply_failed'
  /** The Store failed, so single use could not be guaranteed. */
  | 'store_unavailable';

const STATUS: Partial<Record<BotErrorCode, number>> = {
  media_url_forbidden: 403,
  media_too_large: 413,
  media_download_failed: 502,
  media_decrypt_failed: 502,
};

export class WeComBotError extends WeComError {
  declare readonly code: BotErrorCode;
  constructor(code: BotErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, status: STATUS[code] ?? 500 });
    this.name = 'WeComBotError';
  }
}
