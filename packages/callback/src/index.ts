export { AccessTokenCache, type AccessTokenCacheOptions } from './access-token.js';
export {
  ALLOW_EVERYONE,
  type AllowCheck,
  type AllowlistFromEnvOptions,
  type AllowPolicy,
  allowlistFromEnv,
  compileAllowlist,
  type Identity,
} from './allowlist.js';
export type { AppConfig, AppInfo } from './app-config.js';
export type * from './app-event-types.js';
export {
  CallbackRouter,
  type CallbackRouterOptions,
  createCallbackRouter,
  type ResolvedTarget,
  type SendTarget,
  type SingleAppConfig,
  type WarmUpResult,
} from './callback-router.js';
export type * from './callback-types.js';
export {
  CONFIG_ERRCODES,
  INVALID_CREDENTIAL,
  RATE_LIMIT_ERRCODES,
  type RateLimitRetryOptions,
  TOKEN_ERRCODES,
} from './errcodes.js';
export {
  type TargetErrorCode,
  WeComMediaTooLargeError,
  WeComMessageError,
  WeComTargetError,
} from './errors.js';
export { buildChatId, type ParsedChatId, parseChatId } from './identity.js';
export {
  JsApiTicketCache,
  type TicketKind,
  wxAgentConfigParams,
  wxConfigParams,
} from './jsapi-ticket.js';
export {
  contentTypeFor,
  filenameFromDisposition,
  MEDIA_LIMITS,
  type MediaType,
  UPLOADIMG_LIMIT,
} from './media.js';
export {
  Message,
  type MiniprogramNotice,
  type MpNewsArticle,
  type NewsArticle,
  type OutboundMessage,
  type OutboundMessageType,
  TEXT_LIMIT_BYTES,
  type TemplateCard,
  type TemplateCardType,
  type TextCard,
  type VideoBody,
} from './outbound-message.js';
export { dedupKey, dispatchNames, parseCallback } from './parse-callback.js';
export {
  type PassiveArticle,
  type PassiveReply,
  type PassiveReplyType,
  Reply,
  type ReplyAddress,
  renderPassiveReply,
} from './passive-reply.js';
export type {
  CallbackContext,
  CallbackRouterEvents,
  DeniedInfo,
  DuplicateInfo,
  ReplyDeliveredInfo,
  ReplyFailedInfo,
  ReplyOutcome,
} from './router-events.js';
export { WeComApi } from './wecom-api.js';
export type * from './wecom-api-types.js';
