/** The typed event map of `WeComBot` (eventemitter3). Listeners may be async: the bot awaits them. */

import type { ErrorInfo } from '@maven/wecom-core';
import type {
  BotContext,
  CardEventContext,
  EnterChatContext,
  EventContext,
  MessageContext,
} from './context-types.js';
import type { ReplyDelivered, ReplyFailed } from './delivery.js';
import type {
  BotCallback,
  BotEvent,
  EnterChatEvent,
  FeedbackEvent,
  FileMessage,
  ImageMessage,
  MixedMessage,
  TemplateCardEvent,
  TextMessage,
  UnknownMessage,
  UserMessage,
  VideoMessage,
  VoiceMessage,
} from './types.js';

export type { ErrorInfo } from '@maven/wecom-core';

/** A callback from a sender outside `allowFrom`: acknowledged, not dispatched. */
export interface DeniedInfo {
  userId: string;
  type: string;
  msgId?: string;
  chatId?: string;
  callback: BotCallback | { type: 'stream' };
}

/** A re-delivered callback (same msgId): acknowledged, not dispatched again. */
export interface DuplicateInfo {
  /** The dedup key (aibotid:msgId). */
  key: string;
  type: string;
  msgId?: string;
  chatId?: string;
  callback: BotCallback;
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
  /** Every user message (any type), after its own listeners. */
  message: [message: UserMessage, ctx: MessageContext<UserMessage>];
  /** Every event (any eventtype), after its own listeners. */
  event: [event: BotEvent, ctx: BotContext];
  /** Catch-all: every dispatched callback, last. */
  callback: [message: BotCallback, ctx: BotContext];
  denied: [info: DeniedInfo];
  duplicate: [info: DuplicateInfo];
  'reply.delivered': [result: ReplyDelivered];
  'reply.failed': [result: ReplyFailed];
  error: [error: unknown, info: ErrorInfo];
}

export type BotEventName = keyof BotEvents;
