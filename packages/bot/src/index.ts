export {
  type BotCapabilities,
  createWeComBot,
  type ReplyTargetRef,
  WeComBot,
} from './bot.js';
export type {
  BotContext,
  CardEventContext,
  ContextBase,
  EnterChatContext,
  EventContext,
  MessageContext,
  ReplyOptions,
  StreamOptions,
} from './context-types.js';
export type {
  DeliveryResult,
  ReplyChannel,
  ReplyDelivered,
  ReplyFailed,
  ReplyFailureReason,
  ReplyKind,
} from './delivery.js';
export { md5Hex } from './digest.js';
export { type BotErrorCode, WeComBotError } from './errors.js';
export type { BotEventName, BotEvents, ErrorInfo } from './events.js';
export type { MediaBlock, MediaFile, MediaSource } from './media.js';
export {
  downloadMediaStream,
  type MediaStream,
  type MediaStreamOptions,
  WECOM_FILE_MAX_BYTES,
} from './media-stream.js';
export type { AckMode, BotHttpOptions, MediaOptions, WeComBotOptions } from './options.js';
export { CONTENT_LIMIT_BYTES } from './payloads.js';
export { blockTypeOf, sniffMime } from './sniff.js';
export type { StreamWriter } from './stream.js';
export type {
  BotCallback,
  BotCallbackType,
  BotEvent,
  ChatType,
  EnterChatEvent,
  FeedbackEvent,
  FileMessage,
  ImageMessage,
  MediaRef,
  MixedItem,
  MixedMessage,
  QuotedMessage,
  SelectedItem,
  TemplateCard,
  TemplateCardEvent,
  TextMessage,
  UnknownMessage,
  UserMessage,
  VideoMessage,
  VoiceMessage,
} from './types.js';
export * from './ws/index.js';
