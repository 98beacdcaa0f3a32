/** Options and results of WeComApi's calls. Requests and results keep WeCom's field names. */
import type { HttpClient, HttpClientOptions, Logger, Store } from '@maven/wecom-core';
import type { AccessTokenCache, AccessTokenCacheOptions } from './access-token.js';
import type { RateLimitRetryOptions } from './errcodes.js';
import type { MediaType } from './media.js';
import type { OutboundMessage, TemplateCard } from './outbound-message.js';

/** Token tuning passed through to the app's AccessTokenCache. */
export type TokenPolicy = Pick<
  AccessTokenCacheOptions,
  'refreshMarginMs' | 'lockTtlMs' | 'lockWaitMs' | 'pollIntervalMs' | 'configErrorCooldownMs'
>;

export interface WeComApiOptions {
  corpId: string;
  agentId: number | string;
  corpSecret: string;
  /** A shared HttpClient, or options for a new one (`baseUrl`, `timeoutMs`, `retry`, `fetch`). */
  http?: HttpClient | HttpClientOptions;
  /** Where the access token lives. Default: a new MemoryStore. */
  store?: Store;
  /** An existing token cache, or tuning for the one created here. */
  tokens?: AccessTokenCache | TokenPolicy;
  rateLimitRetry?: RateLimitRetryOptions;
  /** Timing of the JS-SDK ticket caches (same meaning as for tokens). */
  tickets?: TokenPolicy;
  /** The fetch used for streamed media downloads (getMediaStream). Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  logger?: Logger;
  now?: () => number;
}

export type Recipients = string | readonly string[];
export type Departments = string | number | readonly (string | number)[];

export interface SendOptions {
  message: OutboundMessage;
  /** UserIDs (joined with `|`, at most 1000) or `'@all'`. */
  touser?: Recipients;
  /** Department ids (at most 100). */
  toparty?: Departments;
  /** Tag ids (at most 100). */
  totag?: Departments;
  /** Watermarked, not shareable (some message types). */
  safe?: boolean;
  enable_id_trans?: boolean;
  enable_duplicate_check?: boolean;
  /** Seconds, at most 14400. */
  duplicate_check_interval?: number;
  /**
   * Text over 2048 UTF-8 bytes is sent as several messages, cut after the last newline that fits
   * (else on a code-point boundary), in order. Default true; false sends it whole (WeCom truncates).
   */
  split?: boolean;
  /** Aborts the send (e.g. on shutdown); an aborted send may still have reached WeCom. */
  signal?: AbortSignal;
}

export interface SendResult {
  /** The msgid of the first message (for message/recall). */
  msgid: string;
  /** Every msgid, one per part when the text was split. */
  msgids: string[];
  invaliduser: string[];
  invalidparty: string[];
  invalidtag: string[];
  unlicenseduser: string[];
  /** For message/update_template_card (interactive cards), when WeCom gave one. */
  response_code?: string;
}

export interface UploadMediaOptions {
  type: MediaType;
  data: Uint8Array | ArrayBuffer | Blob;
  /** Shown to users as the file name; an extension is added from contentType when missing. */
  filename: string;
  /** Default: from the file name's extension (mime), else application/octet-stream. */
  contentType?: string;
}

export interface UploadedMedia {
  type: string;
  media_id: string;
  created_at: string;
}

export interface GetMediaOptions {
  /** Default 20 MiB + 1 KiB (the largest upload WeCom takes). */
  maxBytes?: number;
  timeoutMs?: number;
}

export interface MediaFile {
  bytes: Uint8Array;
  /** Without parameters, lower case. */
  contentType: string;
  filename?: string;
}

export interface UpdateTemplateCardOptions {
  /** The single-use code from message/send or the template_card_event callback. */
  response_code: string;
  userids?: readonly string[];
  partyids?: readonly (string | number)[];
  tagids?: readonly (string | number)[];
  atall?: boolean;
  enable_id_trans?: boolean;
  /** Turn the clicked button into a disabled one with this label… */
  button?: { replace_name: string };
  /** …or replace the whole card. */
  template_card?: TemplateCard;
}

export interface UpdateTemplateCardResult {
  invaliduser: string[];
  invalidparty: string[];
  invalidtag: string[];
}

export interface MediaStream {
  /** The response body, unread: the caller consumes or cancels it. */
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** From Content-Length, when WeCom sent one. */
  contentLength?: number;
  filename?: string;
}

export interface UploadImageOptions {
  data: Uint8Array | ArrayBuffer | Blob;
  filename: string;
  contentType?: string;
}

export interface CreateAppChatOptions {
  /** Members' UserIDs, 2 to 2000. */
  userlist: readonly string[];
  name?: string;
  /** Group owner; default a random member. */
  owner?: string;
  /** Your own id for the chat (0-9a-zA-Z, at most 32 characters); default WeCom picks one. */
  chatid?: string;
}

export interface UpdateAppChatOptions {
  chatid: string;
  name?: string;
  owner?: string;
  add_user_list?: readonly string[];
  del_user_list?: readonly string[];
}

export interface AppChatInfo {
  chatid: string;
  name: string;
  owner: string;
  userlist: string[];
  /** 0 a group made by appchat/create. */
  chat_type?: number;
}

/** What `wx.config` needs (corp JS-SDK ticket). Add `jsApiList` and `debug` yourself. */
export interface WxConfigParams {
  beta: true;
  /** The CorpID. */
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
}

/** What `wx.agentConfig` needs (the app's ticket). */
export interface WxAgentConfigParams {
  corpid: string;
  agentid: number;
  timestamp: number;
  nonceStr: string;
  signature: string;
}

export interface JsSdkConfigOptions {
  /** Default: a random 16-character string. */
  nonceStr?: string;
  /** Seconds; default now. */
  timestamp?: number;
}
