export { AckQueue } from './ack-queue.js';
export { WsConnection } from './connection.js';
export { backoffDelay, type WsBackoffOptions, type WsConnectionOptions } from './connection-options.js';
export { WeComWsError, type WsErrorCode } from './errors.js';
export {
  DISCONNECTED_EVENT,
  decodeFrame,
  encodeFrame,
  eventTypeOf,
  newReqId,
  WS_CMD,
  WS_DEFAULT_URL,
  WS_ERRCODE,
  type WsAck,
  type WsCallbackFrame,
} from './frames.js';
export { WsLeader, type WsLeaderEvents, type WsLeaderOptions } from './leader.js';
export { LeaderLease } from './lease.js';
export { decryptWsMedia } from './media.js';
export {
  type ProactiveMessage,
  ProactiveSender,
  type ProactiveSenderOptions,
  type ProactiveSendOptions,
  type SendOutcome,
} from './proactive.js';
export { ConversationLimiter, type RateWindow, WS_CONVERSATION_LIMITS } from './rate-limit.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export type { WsCallbackHandler, WsConnectionEvents, WsState, WsTransport } from './transport.js';
export {
  uploadMedia,
  WS_CHUNK_MAX_BYTES,
  WS_MAX_CHUNKS,
  WS_MEDIA_MAX_BYTES,
  type WsMediaType,
  type WsUploadedMedia,
  type WsUploadOptions,
} from './upload.js';
