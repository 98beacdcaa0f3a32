/**
 * Reply bodies (docs/protocol.md §2.5, §2.7) and WeCom's size rule: text is measured in UTF-8 bytes,
 * at most 20480 for streams and markdown, cut on a code-point boundary, head kept, marker optional.
 */
import { truncateUtf8 } from '@maven/wecom-core';
import { WeComBotError } from './errors.js';
import type { TemplateCard } from './types.js';

/** WeCom's limit for stream content and response_url markdown, in UTF-8 bytes. */
export const CONTENT_LIMIT_BYTES = 20480;

export function fitContent(text: string, marker: string | undefined): { text: string; truncated: boolean } {
  return truncateUtf8(text, CONTENT_LIMIT_BYTES, marker === undefined ? {} : { marker });
}

export interface StreamImage {
  base64: string;
  md5: string;
}

/** Stream state as kept on the Store, so any replica can answer a refresh. */
export interface StreamState {
  v: 1;
  id: string;
  aibotid: string;
  msgId: string;
  chatId: string;
  content: string;
  finish: boolean;
  truncated: boolean;
  /** Only once finished: images go out with the final frame only. */
  images: StreamImage[];
  /** When the user's message arrived (ms): the window counts from here. */
  startedAt: number;
  /** True when the final answer went out through response_url instead (window over). */
  handedOver?: boolean;
}

export type PassiveBody = Record<string, unknown>;

export function streamFrame(
  state: StreamState,
  extra: { feedbackId?: string | undefined; card?: TemplateCard | undefined } = {},
): PassiveBody {
  const stream: Record<string, unknown> = { id: state.id, finish: state.finish, content: state.content };
  if (state.finish && state.images.length > 0) {
    stream.msg_item = state.images.map((image) => ({ msgtype: 'image', image }));
  }
  if (extra.feedbackId) stream.feedback = { id: extra.feedbackId };
  if (extra.card) return { msgtype: 'stream_with_template_card', stream, template_card: extra.card };
  return { msgtype: 'stream', stream };
}

export function checkCard(card: unknown, where: string): TemplateCard {
  const c = card as Partial<TemplateCard> | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    Array.isArray(c) ||
    typeof c.card_type !== 'string' ||
    !c.card_type
  ) {
    throw new WeComBotError('invalid_reply', `${where}: a template card needs a card_type`);
  }
  return c as TemplateCard;
}

export function checkFeedbackId(id: unknown): string | undefined {
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || id.length === 0 || new TextEncoder().encode(id).length > 256) {
    throw new WeComBotError('invalid_reply', 'feedbackId must be a non-empty string of at most 256 bytes');
  }
  return id;
}
