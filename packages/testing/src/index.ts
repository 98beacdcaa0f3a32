export {
  appAgentStatusEvent,
  appBatchJobResult,
  appCalendarEvent,
  appExternalChatChange,
  appExternalContactChange,
  appExternalTagChange,
  appKfAccountAuthChange,
  appKfMsgOrEvent,
  appLivingStatusChange,
  appMeetingRoomEvent,
  appOpenApprovalChange,
  appScheduleEvent,
  appSysApprovalChange,
  appTemplateCardMenuEvent,
  appUploadMediaJobFinish,
  type SysEventOptions,
} from './app-events.js';
export {
  type AppEventOptions,
  type AppMessage,
  type AppMessageOptions,
  appEvent,
  appImage,
  appLink,
  appLocation,
  appText,
  appVideo,
  appVoice,
} from './app-messages.js';
export { type AppXmlObject, type AppXmlValue, toAppMessageXml } from './app-xml.js';
export {
  type BotChatType,
  type BotEventType,
  type BotMessage,
  type BotMessageOptions,
  type BotMixedItem,
  botEvent,
  botFile,
  botImage,
  botMixed,
  botStreamRefresh,
  botText,
  botVideo,
  botVoice,
} from './bot-messages.js';
export {
  type AppCallbackOptions,
  type AppVerificationOptions,
  type BotCallbackOptions,
  type BotVerificationOptions,
  buildAppCallback,
  buildAppVerification,
  buildBotCallback,
  buildBotVerification,
  type CallbackRequest,
  type VerificationRequest,
} from './builders.js';
export {
  checkEncodingAESKey,
  type Diagnosis,
  type DiagnosisCode,
  diagnoseVerification,
  type ProbeOptions,
  probeVerification,
  type VerificationProbe,
  WECOM_VERIFY_TIMEOUT_MS,
} from './doctor.js';
export {
  type CallbackProbe,
  type CallbackProbeOptions,
  DOCTOR_TEXT,
  diagnoseCallback,
  probeCallback,
} from './doctor-callback.js';
export type { RefusalCode, Suspect } from './doctor-refusals.js';
export { HttpFailure, type HttpResponse, sendRequest } from './http-client.js';
export { mask } from './mask.js';
export {
  type AppReply,
  type BotReply,
  type DecryptAppReplyOptions,
  type DecryptBotReplyOptions,
  decryptAppReply,
  decryptBotReply,
  type OpenedBotReply,
  openBotReply,
} from './replies.js';
export type { ApiState, SentMessage } from './sim/api-routes.js';
export {
  AppDriver,
  type AppDriverOptions,
  type AppSendOptions,
  type AppSendResult,
} from './sim/app-driver.js';
export type { SimApp, SimAppOptions } from './sim/apps.js';
export {
  BotDriver,
  type BotDriverOptions,
  type BotSendOptions,
  type BotSendResult,
  type PollStreamOptions,
  type PollStreamResult,
} from './sim/bot-driver.js';
export {
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_REDELIVER_AFTER_MS,
  type DeliveryAttempt,
  type DeliveryOptions,
  type VerifyResult,
} from './sim/delivery.js';
export { ERRCODES, type ErrcodeName } from './sim/errcodes.js';
export type { FaultSpec } from './sim/faults.js';
export { MEDIA_URL_TTL_MS, type PutMediaOptions } from './sim/media-cdn.js';
export type { UploadedMedia } from './sim/media-store.js';
export { APP_MARKDOWN_MAX_BYTES, TEXT_MAX_BYTES } from './sim/message-rules.js';
export type { RecordedCall } from './sim/recorder.js';
export {
  MARKDOWN_MAX_BYTES,
  RESPONSE_URL_TTL_MS,
  type ReceivedResponse,
  type ResponseUrlOptions,
} from './sim/response-urls.js';
export {
  startWeComSimulator,
  type WaitOptions,
  type WeComSimulator,
  type WeComSimulatorOptions,
} from './sim/simulator.js';
export type { FrameFilter, WsSimulator } from './sim/ws/endpoint.js';
export { WS_ERRCODES } from './sim/ws/protocol.js';
export type {
  WsBotOptions,
  WsFaultSpec,
  WsFrameRecord,
  WsPushRecord,
  WsSentMessage,
  WsSubscribeRecord,
  WsWaitOptions,
} from './sim/ws/types.js';
export type { WsUploadedMedia } from './sim/ws/uploads.js';
