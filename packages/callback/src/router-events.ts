/** The events a CallbackRouter emits, and the context every handler gets. */
import type { ErrorInfo } from '@maven/wecom-core';
import type { AppInfo } from './app-config.js';
import type { AppCallback, CallbackMap, CallbackName } from './callback-types.js';
import type { PassiveReply, PassiveReplyType } from './passive-reply.js';
import type { WeComApi } from './wecom-api.js';

/** Where a router reply goes: in the callback's HTTP answer, or through the app's API. */
export type RouterReplyChannel = 'passive' | 'api';

export type ReplyOutcome = { channel: 'passive' } | { channel: 'api'; sentMsgIds: string[] };

export interface CallbackContext<C extends AppCallback = AppCallback> {
  /** The app that received the callback (its name, corp and agent; no secrets). */
  readonly app: AppInfo;
  readonly callback: C;
  /** `FromUserName`. */
  readonly userId: string;
  /** The user scoped to this app: `corpId:agentId:userId`. Pass it to `router.send`. */
  readonly chatId: string;
  /** The app's API client; undefined when the app has no corpSecret. */
  readonly api: WeComApi | undefined;
  /** True while a reply can still go passively in the callback's HTTP answer. */
  readonly passiveOpen: boolean;
  /**
   * Replies to the user. Within the deadline the first reply goes back passively in the HTTP
   * response; after it (or for a second reply, or text over 2048 bytes) it is sent actively
   * through this app's message/send (text split at 2048 bytes). A string is a text reply.
   * Rejects when delivery fails; `reply.failed` is emitted either way.
   */
  reply(reply: string | PassiveReply): Promise<ReplyOutcome>;
}

export interface ReplyDeliveredInfo {
  app: string;
  chatId: string;
  channel: RouterReplyChannel;
  kind: PassiveReplyType;
  /** The msgids message/send gave the messages sent (api text/media/news replies). */
  sentMsgIds: string[];
}

export interface ReplyFailedInfo {
  app: string;
  chatId: string;
  channel: RouterReplyChannel;
  kind: PassiveReplyType | 'invalid';
  error: unknown;
}

export interface DeniedInfo {
  app: string;
  userId: string;
  chatId: string;
  callback: AppCallback;
}

export interface DuplicateInfo {
  app: string;
  /** The dedup key (app-scoped). */
  key: string;
  callback: AppCallback;
}

type Handler<K extends CallbackName> = (
  callback: CallbackMap[K],
  ctx: CallbackContext<CallbackMap[K]>,
) => unknown;

export type CallbackRouterEvents = { [K in CallbackName]: Handler<K> } & {
  /** A reply reached WeCom (passive: the response was built; active: message/send succeeded). */
  'reply.delivered': (info: ReplyDeliveredInfo) => void;
  /** A reply could not be delivered. Never silent. */
  'reply.failed': (info: ReplyFailedInfo) => void;
  /** A callback from a user outside the allowlist: acknowledged, not dispatched. */
  denied: (info: DeniedInfo) => void;
  /** A re-delivery of a callback already dispatched: acknowledged, not dispatched again. */
  duplicate: (info: DuplicateInfo) => void;
  /** A listener threw or rejected: `(error, info)`, `info.phase` says where. */
  error: (error: unknown, info: ErrorInfo) => void;
};
