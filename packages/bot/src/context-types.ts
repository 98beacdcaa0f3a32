/** The public shape of the per-callback context a bot listener gets (see context.ts for how it works). */
import type { DeliveryResult } from './delivery.js';
import type { MediaFile, MediaSource } from './media.js';
import type { MediaStream, MediaStreamOptions } from './media-stream.js';
import type { StreamWriter } from './stream.js';
import type {
  BotCallback,
  EnterChatEvent,
  FeedbackEvent,
  TemplateCard,
  TemplateCardEvent,
  UserMessage,
} from './types.js';

export interface ReplyOptions {
  /** `feedback.id` (≤ 256 bytes): WeCom then sends a feedback_event when the user rates the reply. */
  feedbackId?: string;
}

export interface StreamOptions extends ReplyOptions {
  /** A template card shown with the stream (`stream_with_template_card`), first frame only. */
  card?: TemplateCard;
}

/** What every context offers. */
export interface ContextBase<M extends BotCallback = BotCallback> {
  readonly message: M;
  readonly msgId: string;
  readonly chatId: string;
  readonly userId: string;
  /** When the callback arrived (ms, the bot's clock). */
  readonly receivedAt: number;
  /** True while a reply can still go passively in the callback's HTTP response. */
  readonly passiveOpen: boolean;
  /** Keeps background work alive after the response (and makes `bot.close()` wait for it). */
  waitUntil(promise: Promise<unknown>): void;
  /** Downloads and decrypts media: by default the message's first media item. */
  downloadMedia(source?: MediaSource): Promise<MediaFile>;
  /** The same as a stream decrypted on the fly: large files in bounded memory. */
  downloadMediaStream(source?: MediaSource, call?: MediaStreamOptions): Promise<MediaStream>;
  /** Every media item of the message, in order (mixed messages may have several images). */
  downloadAllMedia(): Promise<MediaFile[]>;
}

/** Context of user messages (and of unknown ones): markdown replies, streams, cards. */
export interface MessageContext<M extends BotCallback = UserMessage> extends ContextBase<M> {
  /**
   * Answers with markdown: within the deadline as a passive stream frame with finish:true (markdown
   * is not a passive type), afterwards through the message's response_url. Cut to 20480 bytes.
   */
  reply(markdown: string, options?: ReplyOptions): Promise<DeliveryResult>;
  /** Starts (or returns the already started) stream for this message. */
  stream(options?: StreamOptions): StreamWriter;
  /** A template card: passive within the deadline, else via response_url (single chats only). */
  replyCard(card: TemplateCard): Promise<DeliveryResult>;
}

/** Context of enter_chat: a welcome text or card, passive only, within the deadline. */
export interface EnterChatContext extends ContextBase<EnterChatEvent> {
  welcome(textOrCard: string | TemplateCard): Promise<DeliveryResult>;
}

/** Context of a template-card click: update the card passively; reply/replyCard use response_url. */
export interface CardEventContext extends MessageContext<TemplateCardEvent> {
  /** `{response_type:'update_template_card'}`; `userids` limits the update to those users. */
  updateCard(card: TemplateCard, userids?: readonly string[]): Promise<DeliveryResult>;
}

/** Context of events that take no reply (feedback_event). */
export type EventContext<M extends BotCallback = FeedbackEvent> = ContextBase<M>;

/** The full context, as the catch-all 'message' listener receives it; methods check the callback kind. */
export interface BotContext extends MessageContext<BotCallback> {
  welcome(textOrCard: string | TemplateCard): Promise<DeliveryResult>;
  updateCard(card: TemplateCard, userids?: readonly string[]): Promise<DeliveryResult>;
}
