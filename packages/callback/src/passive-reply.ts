/**
 * Passive replies (被动回复, docs/protocol.md §4.4): the plaintext XML that goes back, encrypted, in the
 * callback's HTTP response. Also how each one is sent actively when the deadline has passed.
 */
import { utf8Length } from '@maven/wecom-core';
import { buildXml, type XmlInputObject } from '@maven/wecom-crypto';
import { WeComMessageError } from './errors.js';
import {
  checkTemplateCard,
  Message,
  type OutboundMessage,
  TEXT_LIMIT_BYTES,
  type TemplateCard,
} from './outbound-message.js';
import { templateCardElement } from './template-card-xml.js';

export interface PassiveArticle {
  title: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

export type PassiveReply =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string }
  | { type: 'video'; mediaId: string; title?: string; description?: string }
  | { type: 'news'; articles: PassiveArticle[] }
  | { type: 'update_button'; replaceName: string }
  | { type: 'update_template_card'; templateCard: TemplateCard };

export type PassiveReplyType = PassiveReply['type'];

function nonEmpty(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new WeComMessageError(`${where} must be a non-empty string`);
  return value;
}

/** Builders for passive replies. */
export const Reply = Object.freeze({
  /** Text; over 2048 UTF-8 bytes it is sent actively in several parts instead. */
  text(content: string): PassiveReply {
    return { type: 'text', content: nonEmpty('reply text', content) };
  },
  image(mediaId: string): PassiveReply {
    return { type: 'image', mediaId: nonEmpty('mediaId', mediaId) };
  },
  voice(mediaId: string): PassiveReply {
    return { type: 'voice', mediaId: nonEmpty('mediaId', mediaId) };
  },
  video(video: { mediaId: string; title?: string; description?: string }): PassiveReply {
    nonEmpty('video mediaId', video?.mediaId);
    return { type: 'video', ...video };
  },
  news(articles: readonly PassiveArticle[]): PassiveReply {
    if (!Array.isArray(articles) || articles.length < 1 || articles.length > 8) {
      throw new WeComMessageError('news takes 1 to 8 articles');
    }
    for (const [i, a] of articles.entries()) nonEmpty(`news[${i}].title`, a?.title);
    return { type: 'news', articles: articles.map((a) => ({ ...a })) };
  },
  /** Replaces the clicked button's label (template_card_event). */
  updateButton(replaceName: string): PassiveReply {
    return { type: 'update_button', replaceName: nonEmpty('replaceName', replaceName) };
  },
  /** Replaces the whole card (template_card_event); the card as message/send JSON. */
  updateTemplateCard(card: TemplateCard): PassiveReply {
    checkTemplateCard(card);
    return { type: 'update_template_card', templateCard: { ...card } };
  },
});

/** Normalises what a handler passed to `ctx.reply`: a string is a text reply. */
export function toPassiveReply(value: string | PassiveReply): PassiveReply {
  if (typeof value === 'string') return Reply.text(value);
  if (value === null || typeof value !== 'object' || typeof (value as { type?: unknown }).type !== 'string') {
    throw new WeComMessageError('a reply is a string or a Reply.* object');
  }
  switch (value.type) {
    case 'text':
      return Reply.text(value.content);
    case 'image':
      return Reply.image(value.mediaId);
    case 'voice':
      return Reply.voice(value.mediaId);
    case 'video':
      return Reply.video(value);
    case 'news':
      return Reply.news(value.articles);
    case 'update_button':
      return Reply.updateButton(value.replaceName);
    case 'update_template_card':
      return Reply.updateTemplateCard(value.templateCard);
    default:
      throw new WeComMessageError(`unknown reply type "${(value as { type: string }).type}"`);
  }
}

/** True when the reply fits in a passive response (text within 2048 bytes). */
export function fitsPassive(reply: PassiveReply): boolean {
  return reply.type !== 'text' || utf8Length(reply.content) <= TEXT_LIMIT_BYTES;
}

export interface ReplyAddress {
  /** The member's UserID (the callback's FromUserName). */
  toUser: string;
  /** The CorpID (the callback's ToUserName). */
  corpId: string;
  /** Seconds since the epoch. */
  createTime: number;
}

/** The plaintext reply XML (before encryption). */
export function renderPassiveReply(reply: PassiveReply, to: ReplyAddress): string {
  return buildXml({
    ToUserName: to.toUser,
    FromUserName: to.corpId,
    CreateTime: Math.floor(to.createTime),
    MsgType: reply.type,
    ...replyContent(reply),
  });
}

/** The elements after MsgType, per reply type. */
function replyContent(reply: PassiveReply): XmlInputObject {
  switch (reply.type) {
    case 'text':
      if (!fitsPassive(reply)) throw new WeComMessageError(`passive text exceeds ${TEXT_LIMIT_BYTES} bytes`);
      return { Content: reply.content };
    case 'image':
      return { Image: { MediaId: reply.mediaId } };
    case 'voice':
      return { Voice: { MediaId: reply.mediaId } };
    case 'video':
      return { Video: { MediaId: reply.mediaId, Title: reply.title, Description: reply.description } };
    case 'news':
      return {
        ArticleCount: reply.articles.length,
        Articles: {
          item: reply.articles.map((a) => ({
            Title: a.title,
            Description: a.description,
            PicUrl: a.picUrl,
            Url: a.url,
          })),
        },
      };
    case 'update_button':
      return { Button: { ReplaceName: reply.replaceName } };
    case 'update_template_card':
      return { TemplateCard: templateCardElement(reply.templateCard) };
  }
}

/**
 * The message/send equivalent of a passive reply, for replies made after the deadline.
 * update_button / update_template_card go through message/update_template_card instead (they need
 * the callback's ResponseCode), so they return undefined here.
 */
export function activeEquivalent(reply: PassiveReply): OutboundMessage | undefined {
  switch (reply.type) {
    case 'text':
      return Message.text(reply.content);
    case 'image':
      return Message.image(reply.mediaId);
    case 'voice':
      return Message.voice(reply.mediaId);
    case 'video': {
      const video: { media_id: string; title?: string; description?: string } = { media_id: reply.mediaId };
      if (reply.title !== undefined) video.title = reply.title;
      if (reply.description !== undefined) video.description = reply.description;
      return Message.video(video);
    }
    case 'news':
      return Message.news(
        reply.articles.map((a) => {
          const out: { title: string; description?: string; url?: string; picurl?: string } = {
            title: a.title,
          };
          if (a.description !== undefined) out.description = a.description;
          if (a.url !== undefined) out.url = a.url;
          if (a.picUrl !== undefined) out.picurl = a.picUrl;
          return out;
        }),
      );
    default:
      return undefined;
  }
}
