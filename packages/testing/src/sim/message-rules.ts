/** The checks `message/send` applies to its body (docs/protocol.md §4.6). */
import type { SimApp } from './apps.js';
import { type ErrorBody, errorBody } from './errcodes.js';
import type { MediaStore } from './media-store.js';

export const TEXT_MAX_BYTES = 2048;
/** Not documented for app markdown; 2048 is the commonly assumed limit (docs/protocol.md §4.6). */
export const APP_MARKDOWN_MAX_BYTES = 2048;

const MSGTYPES = new Set([
  'text',
  'image',
  'voice',
  'video',
  'file',
  'textcard',
  'news',
  'mpnews',
  'markdown',
  'miniprogram_notice',
  'template_card',
]);

export interface SendCheckContext {
  app: SimApp;
  media: MediaStore;
  /** When set, userids outside this list are reported in `invaliduser`. */
  users: ReadonlySet<string> | undefined;
  /** Members without a license: reported in `unlicenseduser`. */
  unlicensed?: ReadonlySet<string>;
}

export interface SendAccepted {
  msgtype: string;
  invaliduser: string;
  /** Department and tag ids are integers at WeCom: others are reported invalid. */
  invalidparty: string;
  invalidtag: string;
  /** Members the simulator was told are unlicensed (`unlicensedUsers`). */
  unlicenseduser: string;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const list = (value: unknown): string[] =>
  typeof value === 'string' && value.length > 0 ? value.split('|').filter((s) => s.length > 0) : [];

function sub(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = body[name];
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function checkSend(body: unknown, ctx: SendCheckContext): SendAccepted | ErrorBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return errorBody('badFormat');
  const b = body as Record<string, unknown>;
  if (b.agentid === undefined || b.agentid === '') return errorBody('missingAgentId');
  if (Number(b.agentid) !== ctx.app.agentId)
    return errorBody('invalidAgentId', 'agentid does not match the access_token');
  const users = list(b.touser);
  const parties = list(b.toparty);
  const tags = list(b.totag);
  if (users.length + parties.length + tags.length === 0) return errorBody('allEmpty');
  if (users.length > 1000) return errorBody('tooManyUsers');
  if (parties.length > 100) return errorBody('tooManyParties');
  if (tags.length > 100) return errorBody('tooManyTags');
  const msgtype = b.msgtype;
  if (typeof msgtype !== 'string' || !MSGTYPES.has(msgtype)) return errorBody('invalidMsgType');
  const payload = sub(b, msgtype);
  if (payload === undefined) return errorBody('invalidParameter', `"${msgtype}" object missing`);
  const problem = checkPayload(msgtype, payload, ctx);
  if (problem !== undefined) return problem;
  let invalid: string[] = [];
  if (ctx.users !== undefined && !users.includes('@all')) {
    // Userids are case-insensitive; WeCom reports them lowercased.
    invalid = users.map((u) => u.toLowerCase()).filter((u) => !ctx.users!.has(u));
    if (invalid.length === users.length && parties.length + tags.length === 0) return errorBody('allInvalid');
  }
  const notId = (id: string) => !/^[1-9]\d{0,9}$/.test(id);
  const badParties = parties.filter(notId);
  const badTags = tags.filter(notId);
  if (
    users.length === invalid.length &&
    badParties.length === parties.length &&
    badTags.length === tags.length &&
    badParties.length + badTags.length > 0
  ) {
    return errorBody('allInvalid');
  }
  return {
    msgtype,
    invaliduser: invalid.join('|'),
    invalidparty: badParties.join('|'),
    invalidtag: badTags.join('|'),
    unlicenseduser: users
      .map((u) => u.toLowerCase())
      .filter((u) => ctx.unlicensed?.has(u) && !invalid.includes(u))
      .join('|'),
  };
}

function checkPayload(
  msgtype: string,
  p: Record<string, unknown>,
  ctx: SendCheckContext,
): ErrorBody | undefined {
  switch (msgtype) {
    case 'text':
    case 'markdown': {
      const content = p.content;
      if (typeof content !== 'string' || content.length === 0) return errorBody('emptyContent');
      const max = msgtype === 'text' ? TEXT_MAX_BYTES : APP_MARKDOWN_MAX_BYTES;
      if (bytes(content) > max)
        return errorBody('contentTooLarge', `${msgtype}.content exceeds ${max} bytes`);
      return undefined;
    }
    case 'image':
    case 'voice':
    case 'video':
    case 'file': {
      const id = p.media_id;
      if (typeof id !== 'string' || id.length === 0) return errorBody('missingMediaId');
      if (ctx.media.get(id, ctx.app.corpId) === undefined) return errorBody('invalidMediaId');
      return undefined;
    }
    case 'textcard': {
      if (typeof p.title !== 'string' || p.title.length === 0) return errorBody('missingTitle');
      if (typeof p.description !== 'string' || p.description.length === 0)
        return errorBody('missingDescription');
      if (typeof p.url !== 'string' || p.url.length === 0) return errorBody('missingUrl');
      return undefined;
    }
    case 'news':
    case 'mpnews': {
      const articles = p.articles;
      if (!Array.isArray(articles) || articles.length === 0)
        return errorBody('invalidParameter', 'articles missing');
      if (articles.length > 8) return errorBody('tooManyArticles');
      return undefined;
    }
    case 'template_card': {
      if (typeof p.card_type !== 'string')
        return errorBody('invalidParameter', 'template_card.card_type missing');
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Interactive cards get a `response_code` for `update_template_card`. */
export function isInteractiveCard(body: Record<string, unknown>): boolean {
  if (body.msgtype !== 'template_card') return false;
  const card = sub(body, 'template_card');
  return ['button_interaction', 'vote_interaction', 'multiple_interaction'].includes(String(card?.card_type));
}
