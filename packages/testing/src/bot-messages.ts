/** Factories for decrypted AI-bot callback messages (docs/protocol.md §2.3, §2.4), with unique msgids. */
import { WeComConfigError } from '@maven/wecom-crypto';
import { botMsgId } from './random.js';

export type BotChatType = 'single' | 'group';

/** Fields every AI-bot callback carries. */
export interface BotMessage {
  msgid: string;
  aibotid: string;
  chattype: BotChatType;
  /** Only for group chats. */
  chatid?: string;
  from: { userid: string; corpid?: string };
  /** Temporary active-reply URL (messages and template_card_event). */
  response_url?: string;
  msgtype: string;
  create_time?: number;
  [field: string]: unknown;
}

export interface BotMessageOptions {
  /** Sender userid. Default `zhangsan`. */
  from?: string;
  /** `from.corpid` (not sent for internal bots). */
  corpId?: string;
  /** Default `single`, or `group` when `chatid` is given. */
  chattype?: BotChatType;
  /** Group chat id; generated for group chats when absent. */
  chatid?: string;
  /** Default: a fresh unique msgid. */
  msgid?: string;
  /** Default `aibot-sim`. */
  aibotid?: string;
  /** `response_url`. The simulator's bot driver fills a fresh one in when absent. */
  responseUrl?: string;
  /** `quote`: the message being replied to, e.g. `{ msgtype: 'text', text: { content: '…' } }`. */
  quote?: Record<string, unknown>;
  /** `create_time` (seconds). Events always carry one (default now); messages only when given. */
  createTime?: number;
}

export const DEFAULT_AIBOTID = 'aibot-sim';
export const DEFAULT_USERID = 'zhangsan';

let groups = 0;

function common(options: BotMessageOptions, msgtype: string, withTime: boolean): BotMessage {
  const chattype = options.chattype ?? (options.chatid === undefined ? 'single' : 'group');
  if (chattype !== 'single' && chattype !== 'group') {
    throw new WeComConfigError('chattype must be "single" or "group"');
  }
  const from: BotMessage['from'] = { userid: options.from ?? DEFAULT_USERID };
  if (options.corpId !== undefined) from.corpid = options.corpId;
  const message: BotMessage = {
    msgid: options.msgid ?? botMsgId(),
    aibotid: options.aibotid ?? DEFAULT_AIBOTID,
    chattype,
    from,
    msgtype,
  };
  if (chattype === 'group') message.chatid = options.chatid ?? `wrchat-sim-${++groups}`;
  if (withTime || options.createTime !== undefined) {
    message.create_time = options.createTime ?? Math.floor(Date.now() / 1000);
  }
  if (options.responseUrl !== undefined) message.response_url = options.responseUrl;
  if (options.quote !== undefined) message.quote = options.quote;
  return message;
}

function text(where: string, value: unknown): string {
  if (typeof value !== 'string') throw new WeComConfigError(`${where} must be a string`);
  return value;
}

export function botText(options: BotMessageOptions & { content: string }): BotMessage {
  const { content, ...rest } = options;
  return { ...common(rest, 'text', false), text: { content: text('botText: content', content) } };
}

export function botImage(options: BotMessageOptions & { url: string }): BotMessage {
  const { url, ...rest } = options;
  return { ...common(rest, 'image', false), image: { url: text('botImage: url', url) } };
}

export function botVoice(options: BotMessageOptions & { content: string }): BotMessage {
  const { content, ...rest } = options;
  return { ...common(rest, 'voice', false), voice: { content: text('botVoice: content', content) } };
}

export function botFile(options: BotMessageOptions & { url: string }): BotMessage {
  const { url, ...rest } = options;
  return { ...common(rest, 'file', false), file: { url: text('botFile: url', url) } };
}

export function botVideo(options: BotMessageOptions & { url: string }): BotMessage {
  const { url, ...rest } = options;
  return { ...common(rest, 'video', false), video: { url: text('botVideo: url', url) } };
}

/** One item of a mixed message: text, or an image by URL. */
export type BotMixedItem = { text: string } | { imageUrl: string };

export function botMixed(options: BotMessageOptions & { items: readonly BotMixedItem[] }): BotMessage {
  const { items, ...rest } = options;
  if (!Array.isArray(items) || items.length === 0) throw new WeComConfigError('botMixed: items are required');
  const msg_item = items.map((item) =>
    'text' in item
      ? { msgtype: 'text', text: { content: item.text } }
      : { msgtype: 'image', image: { url: item.imageUrl } },
  );
  return { ...common(rest, 'mixed', false), mixed: { msg_item } };
}

/** A stream-refresh callback: WeCom asking for the current content of `streamId`. */
export function botStreamRefresh(streamId: string, options: BotMessageOptions = {}): BotMessage {
  return {
    ...common(options, 'stream', false),
    stream: { id: text('botStreamRefresh: streamId', streamId) },
  };
}

export type BotEventType = 'enter_chat' | 'template_card_event' | 'feedback_event' | (string & {});

/**
 * An event callback: `{ msgtype: 'event', create_time, event: { eventtype, [eventtype]: fields } }`.
 * `enter_chat` carries no fields; template_card_event fields are e.g. `{ card_type, event_key, task_id }`;
 * feedback_event fields `{ id, type, content?, inaccurate_reason_list? }`.
 */
export function botEvent(
  eventtype: BotEventType,
  fields: Record<string, unknown> = {},
  options: BotMessageOptions = {},
): BotMessage {
  const name = text('botEvent: eventtype', eventtype);
  if (name.length === 0) throw new WeComConfigError('botEvent: eventtype is required');
  const event: Record<string, unknown> = { eventtype: name };
  if (name !== 'enter_chat' || Object.keys(fields).length > 0) event[name] = fields;
  return { ...common(options, 'event', true), event };
}

/** True for callbacks WeCom attaches a response_url to: messages and template-card events. */
export function carriesResponseUrl(message: { msgtype?: unknown; event?: unknown }): boolean {
  if (message.msgtype === 'stream') return false;
  if (message.msgtype === 'event') {
    const event = message.event as { eventtype?: unknown } | undefined;
    return event?.eventtype === 'template_card_event';
  }
  return typeof message.msgtype === 'string';
}
