/**
 * Typed AI-bot callbacks (docs/protocol.md §2.3, §2.4). The message id is `msgId` (WeCom's
 * `msgid`, named as in the router); other wire fields keep WeCom's names (`aibotid`, `chatid`,
 * `chattype`, `from.userid`, `response_url`); derived conveniences are camelCase (`chatId`, `userId`, `text`, `media`). `type` is the discriminant and the event name.
 */

export type ChatType = 'single' | 'group';

/** A downloadable media item of a message (image, file or video). */
export interface MediaRef {
  kind: 'image' | 'file' | 'video';
  /** Signed CDN URL (valid about 5 minutes); the bytes behind it are AES-encrypted. */
  url?: string;
  /** Per-item key (long-connection style); absent = the bot's EncodingAESKey. */
  aeskey?: string;
  /** Only seen on older payloads; cannot be fetched in AI-bot mode (no access token). */
  mediaId?: string;
}

interface InboundBase {
  /** WeCom's unique id of this callback (dedup key, together with aibotid). */
  msgId: string;
  aibotid: string;
  chattype: ChatType;
  /** Group chat id; only present for group chats. */
  chatid?: string;
  from: { userid: string; corpid?: string };
  /** The single-use, one-hour URL to answer this very message actively. */
  response_url?: string;
  /** Seconds; events carry it, messages sometimes. */
  create_time?: number;
  /** `chatid` in a group, else the sender's userid: where a reply goes. */
  chatId: string;
  /** The sender (`from.userid`). */
  userId: string;
  /** The decrypted JSON as received, for fields this type does not name. */
  raw: Readonly<Record<string, unknown>>;
}

/** The message a user quoted when writing this one. */
export interface QuotedMessage {
  msgtype: string;
  /** Its text (mixed: text items joined by '\n'; voice: transcript), '' when none. */
  text: string;
  media: MediaRef[];
  raw: Readonly<Record<string, unknown>>;
}

interface UserMessageBase extends InboundBase {
  /** Text of the message: content, transcript, or mixed text items joined by '\n'; '' for media. */
  text: string;
  /** Its downloadable media, in order (`ctx.downloadMedia()` takes the first). */
  media: MediaRef[];
  quote?: QuotedMessage;
}

export interface TextMessage extends UserMessageBase {
  type: 'text';
  msgtype: 'text';
}

export interface ImageMessage extends UserMessageBase {
  type: 'image';
  msgtype: 'image';
  image: MediaRef;
}

export type MixedItem = { type: 'text'; text: string } | { type: 'image'; image: MediaRef };

export interface MixedMessage extends UserMessageBase {
  type: 'mixed';
  msgtype: 'mixed';
  /** Every item in order; `text` joins the text items, `images` keeps the images. */
  items: MixedItem[];
  images: MediaRef[];
}

/** A voice message: WeCom sends the transcript only (`text`), no audio. */
export interface VoiceMessage extends UserMessageBase {
  type: 'voice';
  msgtype: 'voice';
}

export interface FileMessage extends UserMessageBase {
  type: 'file';
  msgtype: 'file';
  file: MediaRef;
}

export interface VideoMessage extends UserMessageBase {
  type: 'video';
  msgtype: 'video';
  video: MediaRef;
}

interface EventBase extends InboundBase {
  msgtype: 'event';
  eventtype: string;
  /** `event[eventtype]` as received. */
  event: Readonly<Record<string, unknown>>;
}

/** The user opened the single chat (first time that day). Answer with `ctx.welcome()`. */
export interface EnterChatEvent extends EventBase {
  type: 'event.enter_chat';
  eventtype: 'enter_chat';
}

export interface SelectedItem {
  questionKey: string;
  optionIds: string[];
}

/** A click on an interactive template card. Answer with `ctx.updateCard()` within 5 s. */
export interface TemplateCardEvent extends EventBase {
  type: 'event.template_card_event';
  eventtype: 'template_card_event';
  cardType: string;
  eventKey: string;
  taskId: string;
  selectedItems: SelectedItem[];
}

/** A user's verdict on a reply that carried a feedback id. Only an empty answer is allowed. */
export interface FeedbackEvent extends EventBase {
  type: 'event.feedback_event';
  eventtype: 'feedback_event';
  /** The feedback id the reply carried. */
  feedbackId: string;
  /** 1 accurate, 2 inaccurate, 3 cancelled. */
  feedbackType: number;
  /** Free text, only for type 2. */
  content?: string;
  /** 1 unrelated, 2 incomplete, 3 wrong, 4 bad data analysis; only for type 2. */
  inaccurateReasons: number[];
}

/** Any msgtype or eventtype this version does not know: surfaced, never dropped. */
export interface UnknownMessage extends InboundBase {
  type: 'unknown';
  msgtype: string;
  /** Set when `msgtype` is 'event'. */
  eventtype?: string;
  text: string;
  media: MediaRef[];
}

export type UserMessage =
  | TextMessage
  | ImageMessage
  | MixedMessage
  | VoiceMessage
  | FileMessage
  | VideoMessage;
export type BotEvent = EnterChatEvent | TemplateCardEvent | FeedbackEvent;
/** Everything the bot dispatches to listeners. */
export type BotCallback = UserMessage | BotEvent | UnknownMessage;
export type BotCallbackType = BotCallback['type'];

/** A template card (docs/protocol.md §2.5; WeCom's template card types page, D-101032 there); fields pass through as given. */
export interface TemplateCard {
  card_type:
    | 'text_notice'
    | 'news_notice'
    | 'button_interaction'
    | 'vote_interaction'
    | 'multiple_interaction';
  task_id?: string;
  [field: string]: unknown;
}
