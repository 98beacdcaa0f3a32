/**
 * Decrypted JSON → typed message. Lenient on shape (a missing field becomes '' or []), strict on
 * meaning: anything unrecognised becomes an `unknown` message rather than an error or a drop.
 */
import type {
  BotCallback,
  ChatType,
  FeedbackEvent,
  MediaRef,
  MixedItem,
  QuotedMessage,
  SelectedItem,
  TemplateCardEvent,
} from './types.js';

/** A stream-refresh callback: answered from stream state, never dispatched. */
export interface StreamRefresh {
  type: 'stream';
  streamId: string;
  msgId: string;
  aibotid: string;
  userId: string;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return '';
}

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** `image`/`file`/`video` payloads; images may name their URL `pic_url` or `image_url` instead of `url` (older payloads). */
function mediaOf(kind: MediaRef['kind'], value: unknown): MediaRef {
  const o = obj(value);
  const ref: MediaRef = { kind };
  const url = str(o.url) || str(o.pic_url) || str(o.image_url);
  if (url) ref.url = url;
  const aeskey = str(o.aeskey);
  if (aeskey) ref.aeskey = aeskey;
  const mediaId = str(o.media_id);
  if (mediaId) ref.mediaId = mediaId;
  return ref;
}

function mixedItems(value: unknown): MixedItem[] {
  const list = obj(value).msg_item;
  if (!Array.isArray(list)) return [];
  const items: MixedItem[] = [];
  for (const raw of list) {
    const item = obj(raw);
    if (item.msgtype === 'text') items.push({ type: 'text', text: str(obj(item.text).content) });
    else if (item.msgtype === 'image') items.push({ type: 'image', image: mediaOf('image', item.image) });
  }
  return items;
}

function joinText(items: readonly MixedItem[]): string {
  return items
    .filter((i): i is Extract<MixedItem, { type: 'text' }> => i.type === 'text')
    .map((i) => i.text)
    .join('\n');
}

function imagesOf(items: readonly MixedItem[]): MediaRef[] {
  return items.flatMap((i) => (i.type === 'image' ? [i.image] : []));
}

/** Text and media of a message body by its msgtype (shared by messages and quotes). */
function contentOf(msgtype: string, body: Json): { text: string; media: MediaRef[] } {
  switch (msgtype) {
    case 'text':
      return { text: str(obj(body.text).content), media: [] };
    case 'voice':
      return { text: str(obj(body.voice).content), media: [] };
    case 'mixed': {
      const items = mixedItems(body.mixed);
      return { text: joinText(items), media: imagesOf(items) };
    }
    case 'image':
    case 'file':
    case 'video':
      return { text: '', media: [mediaOf(msgtype, body[msgtype])] };
    default:
      return { text: '', media: [] };
  }
}

function quoteOf(value: unknown): QuotedMessage | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = obj(value);
  const msgtype = str(raw.msgtype);
  return { msgtype, ...contentOf(msgtype, raw), raw };
}

function selectedItems(value: unknown): SelectedItem[] {
  const list = obj(value).selected_item;
  if (!Array.isArray(list)) return [];
  return list.map((raw) => {
    const item = obj(raw);
    const ids = obj(item.option_ids).option_id;
    return {
      questionKey: str(item.question_key),
      optionIds: Array.isArray(ids) ? ids.map(str) : ids === undefined ? [] : [str(ids)],
    };
  });
}

/** Parses a decrypted AI-bot callback. */
export function parseCallback(json: Json): BotCallback | StreamRefresh {
  const msgtype = str(json.msgtype);
  const from = obj(json.from);
  const userId = str(from.userid);
  const chattype: ChatType = json.chattype === 'group' ? 'group' : 'single';
  const chatid = str(json.chatid);
  const fromOut: { userid: string; corpid?: string } = { userid: userId };
  if (typeof from.corpid === 'string') fromOut.corpid = from.corpid;
  const base = {
    msgId: str(json.msgid),
    aibotid: str(json.aibotid),
    chattype,
    from: fromOut,
    chatId: chattype === 'group' && chatid ? chatid : userId,
    userId,
    raw: json,
    ...(chatid ? { chatid } : {}),
    ...(typeof json.response_url === 'string' && json.response_url
      ? { response_url: json.response_url }
      : {}),
    ...(num(json.create_time) === undefined ? {} : { create_time: num(json.create_time)! }),
  };

  if (msgtype === 'stream') {
    return {
      type: 'stream',
      streamId: str(obj(json.stream).id),
      msgId: base.msgId,
      aibotid: base.aibotid,
      userId,
    };
  }

  if (msgtype === 'event') {
    const event = obj(json.event);
    const eventtype = str(event.eventtype);
    const fields = obj(event[eventtype]);
    const eventBase = { ...base, msgtype: 'event' as const, event: fields };
    switch (eventtype) {
      case 'enter_chat':
        return { ...eventBase, type: 'event.enter_chat', eventtype };
      case 'template_card_event': {
        const card: TemplateCardEvent = {
          ...eventBase,
          type: 'event.template_card_event',
          eventtype,
          cardType: str(fields.card_type ?? fields.cardtype),
          eventKey: str(fields.event_key ?? fields.eventkey),
          taskId: str(fields.task_id ?? fields.taskid),
          selectedItems: selectedItems(fields.selected_items),
        };
        return card;
      }
      case 'feedback_event': {
        const reasons = fields.inaccurate_reason_list;
        const feedback: FeedbackEvent = {
          ...eventBase,
          type: 'event.feedback_event',
          eventtype,
          feedbackId: str(fields.id),
          feedbackType: num(fields.type) ?? 0,
          inaccurateReasons: Array.isArray(reasons) ? reasons.map((r) => num(r) ?? 0) : [],
          ...(typeof fields.content === 'string' ? { content: fields.content } : {}),
        };
        return feedback;
      }
      default:
        return { ...base, type: 'unknown', msgtype, eventtype, text: '', media: [] };
    }
  }

  const quote = quoteOf(json.quote);
  const common = { ...base, ...contentOf(msgtype, json), ...(quote ? { quote } : {}) };
  switch (msgtype) {
    case 'text':
      return { ...common, type: 'text', msgtype };
    case 'voice':
      return { ...common, type: 'voice', msgtype };
    case 'image':
      return { ...common, type: 'image', msgtype, image: common.media[0]! };
    case 'file':
      return { ...common, type: 'file', msgtype, file: common.media[0]! };
    case 'video':
      return { ...common, type: 'video', msgtype, video: common.media[0]! };
    case 'mixed': {
      const items = mixedItems(json.mixed);
      return { ...common, type: 'mixed', msgtype, items, images: imagesOf(items) };
    }
    default:
      return { ...base, type: 'unknown', msgtype, text: '', media: [] };
  }
}
