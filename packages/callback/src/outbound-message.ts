/**
 * message/send payloads (docs/protocol.md §4.6). Payload fields keep WeCom's names (snake_case) so the
 * official documentation applies as written; the builders check the documented limits.
 */
import { utf8Length } from '@maven/wecom-core';
import { WeComMessageError } from './errors.js';

export interface NewsArticle {
  title: string;
  description?: string;
  /** Required unless appid + pagepath open a mini program. */
  url?: string;
  picurl?: string;
  appid?: string;
  pagepath?: string;
}

export interface MpNewsArticle {
  title: string;
  thumb_media_id: string;
  author?: string;
  content_source_url?: string;
  content: string;
  digest?: string;
}

export interface MiniprogramNotice {
  appid: string;
  page?: string;
  title: string;
  description?: string;
  emphasis_first_item?: boolean;
  content_item?: { key: string; value: string }[];
}

export type TemplateCardType =
  | 'text_notice'
  | 'news_notice'
  | 'button_interaction'
  | 'vote_interaction'
  | 'multiple_interaction';

/** A template card as message/send takes it (`card_type` plus the type's fields, snake_case). */
export interface TemplateCard {
  card_type: TemplateCardType;
  [field: string]: unknown;
}

export interface TextCard {
  title: string;
  description: string;
  url: string;
  btntxt?: string;
}

export interface VideoBody {
  media_id: string;
  title?: string;
  description?: string;
}

export type OutboundMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'voice'; voice: { media_id: string } }
  | { msgtype: 'file'; file: { media_id: string } }
  | { msgtype: 'video'; video: VideoBody }
  | { msgtype: 'textcard'; textcard: TextCard }
  | { msgtype: 'news'; news: { articles: NewsArticle[] } }
  | { msgtype: 'mpnews'; mpnews: { articles: MpNewsArticle[] } }
  | { msgtype: 'miniprogram_notice'; miniprogram_notice: MiniprogramNotice }
  | { msgtype: 'template_card'; template_card: TemplateCard };

export type OutboundMessageType = OutboundMessage['msgtype'];

/** Text and markdown content limit of message/send, in UTF-8 bytes. */
export const TEXT_LIMIT_BYTES = 2048;

const TYPES: readonly OutboundMessageType[] = [
  'text',
  'markdown',
  'image',
  'voice',
  'file',
  'video',
  'textcard',
  'news',
  'mpnews',
  'miniprogram_notice',
  'template_card',
];
const CARD_TYPES: readonly string[] = [
  'text_notice',
  'news_notice',
  'button_interaction',
  'vote_interaction',
  'multiple_interaction',
];

function nonEmpty(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new WeComMessageError(`${where} must be a non-empty string`);
  return value;
}

function maxBytes(where: string, value: string | undefined, limit: number): void {
  if (value !== undefined && utf8Length(value) > limit) {
    throw new WeComMessageError(`${where} exceeds ${limit} UTF-8 bytes`);
  }
}

function articles<T>(where: string, value: readonly T[]): T[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 8) {
    throw new WeComMessageError(`${where} takes 1 to 8 articles`);
  }
  return [...value];
}

/** Builders for message/send payloads. */
export const Message = Object.freeze({
  /** Plain text; `<a href>` links and `\n` allowed. Longer than 2048 bytes is split by `send` (default). */
  text(content: string): OutboundMessage {
    return { msgtype: 'text', text: { content: nonEmpty('text content', content) } };
  },
  markdown(content: string): OutboundMessage {
    return { msgtype: 'markdown', markdown: { content: nonEmpty('markdown content', content) } };
  },
  image(mediaId: string): OutboundMessage {
    return { msgtype: 'image', image: { media_id: nonEmpty('media_id', mediaId) } };
  },
  voice(mediaId: string): OutboundMessage {
    return { msgtype: 'voice', voice: { media_id: nonEmpty('media_id', mediaId) } };
  },
  file(mediaId: string): OutboundMessage {
    return { msgtype: 'file', file: { media_id: nonEmpty('media_id', mediaId) } };
  },
  video(video: VideoBody): OutboundMessage {
    nonEmpty('video media_id', video?.media_id);
    maxBytes('video title', video.title, 128);
    maxBytes('video description', video.description, 512);
    return { msgtype: 'video', video: { ...video } };
  },
  textcard(card: TextCard): OutboundMessage {
    maxBytes('textcard title', nonEmpty('textcard title', card?.title), 128);
    maxBytes('textcard description', nonEmpty('textcard description', card.description), 512);
    maxBytes('textcard url', nonEmpty('textcard url', card.url), 2048);
    if (card.btntxt !== undefined && [...card.btntxt].length > 4) {
      throw new WeComMessageError('textcard btntxt takes at most 4 characters');
    }
    return { msgtype: 'textcard', textcard: { ...card } };
  },
  news(list: readonly NewsArticle[]): OutboundMessage {
    const items = articles('news', list).map((a, i) => {
      maxBytes(`news[${i}].title`, nonEmpty(`news[${i}].title`, a?.title), 128);
      maxBytes(`news[${i}].description`, a.description, 512);
      if (a.url === undefined && (a.appid === undefined || a.pagepath === undefined)) {
        throw new WeComMessageError(`news[${i}] needs url, or appid and pagepath`);
      }
      return { ...a };
    });
    return { msgtype: 'news', news: { articles: items } };
  },
  mpnews(list: readonly MpNewsArticle[]): OutboundMessage {
    const items = articles('mpnews', list).map((a, i) => {
      nonEmpty(`mpnews[${i}].title`, a?.title);
      nonEmpty(`mpnews[${i}].thumb_media_id`, a.thumb_media_id);
      nonEmpty(`mpnews[${i}].content`, a.content);
      return { ...a };
    });
    return { msgtype: 'mpnews', mpnews: { articles: items } };
  },
  miniprogramNotice(notice: MiniprogramNotice): OutboundMessage {
    nonEmpty('miniprogram_notice appid', notice?.appid);
    nonEmpty('miniprogram_notice title', notice.title);
    return { msgtype: 'miniprogram_notice', miniprogram_notice: { ...notice } };
  },
  templateCard(card: TemplateCard): OutboundMessage {
    checkTemplateCard(card);
    return { msgtype: 'template_card', template_card: { ...card } };
  },
});

export function checkTemplateCard(card: unknown): asserts card is TemplateCard {
  if (card === null || typeof card !== 'object' || Array.isArray(card)) {
    throw new WeComMessageError('template_card must be an object');
  }
  const type = (card as { card_type?: unknown }).card_type;
  if (typeof type !== 'string' || !CARD_TYPES.includes(type)) {
    throw new WeComMessageError(`template_card card_type must be one of ${CARD_TYPES.join(', ')}`);
  }
}

/** Checks a payload that did not come from the builders: known msgtype and its body object. */
export function checkOutboundMessage(message: unknown): asserts message is OutboundMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new WeComMessageError('message must be an object built with Message.*');
  }
  const type = (message as { msgtype?: unknown }).msgtype;
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    throw new WeComMessageError(`msgtype must be one of ${TYPES.join(', ')}`);
  }
  const body = (message as Record<string, unknown>)[type];
  if (body === null || typeof body !== 'object')
    throw new WeComMessageError(`message has no "${type}" object`);
}
