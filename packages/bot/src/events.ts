/** The typed event map of `WeComBot` (eventemitter3). Listeners may be async: the bot awaits them. */
import type {
  BotContext,
  CardEventContext,
  EnterChatContext,
  EventContext,
  MessageContext,
} from './context.js';
import type { ReplyDelivered, ReplyFailed } from './delivery.js';
import type {
  BotInbound,
  EnterChatEvent,
  FeedbackEvent,
  FileMessage,
  ImageMessage,
  MixedMessage,
  TemplateCardEvent,
  TextMessage,
  UnknownMessage,
  VideoMessage,
  VoiceMessage,
} from './types.js';

/** Where an 'error' event came from. */
export interface ErrorInfo {
  /** 'listener': a listener threw; 'store': shared state failed; 'stream': a stream write failed. */
  phase: 'listener' | 'store' | 'stream';
  msgid?: string;
  type?: string;
}

export interface BotEvents {
  text: [message: TextMessage, ctx: MessageContext<TextMessage>];
  image: [message: ImageMessage, ctx: MessageContext<ImageMessage>];
  mixed: [message: MixedMessage, ctx: MessageContext<MixedMessage>];
  voice: [message: VoiceMessage, ctx: MessageContext<VoiceMessage>];
  file: [message: FileMessage, ctx: MessageContext<FileMessage>];
  video: [message: VideoMessage, ctx: MessageContext<VideoMessage>];
  'event.enter_chat': [event: EnterChatEvent, ctx: EnterChatContext];
  'event.template_card_event': [event: TemplateCardEvent, ctx: CardEventContext];
  'event.feedback_event': [event: FeedbackEvent, ctx: EventContext<FeedbackEvent>];
  /** Any msgtype or eventtype this version does not know. */
  unknown: [message: UnknownMessage, ctx: MessageContext<UnknownMessage>];
  /** Catch-all: every dispatched message and event, after (and together with) its own listeners. */
  message: [message: BotInbound, ctx: BotContext];
  'reply.delivered': [result: ReplyDelivered];
  'reply.failed': [result: ReplyFailed];
  error: [error: unknown, info: ErrorInfo];
}

export type BotEventName = keyof BotEvents;
