/**
 * The outbound API of one app (docs/protocol.md §4.5–4.8), on core's HttpClient (ky): message/send,
 * message/recall, message/update_template_card, getcallbackip here; media (api-media.ts), group
 * chats (api-appchat.ts) and JS-SDK tickets (jsapi-ticket.ts) beside it.
 *
 * Every call carries the app's access token. 40014/42001/41001 evict that token (only if it is
 * still the cached one), refresh and resend once; so does 40001 when the token came from the cache
 * (WeCom invalidates tokens early); 45009/45033 back off within a bounded number of attempts and a
 * total time cap, then throw WeComApiError with that errcode; -1 is retried by the HttpClient's
 * policy; every other errcode is thrown as WeComApiError at once.
 */
import {
  type ApiResult,
  type CallOptions,
  checkKeys,
  HttpClient,
  type Logger,
  MemoryStore,
  requireString,
  type Store,
  silentLogger,
  WeComApiError,
  WeComConfigError,
} from '@maven/wecom-core';
import { AccessTokenCache, resolveTiming } from './access-token.js';
import { createAppChat, getAppChat, sendAppChat, updateAppChat } from './api-appchat.js';
import type { ApiCore } from './api-core.js';
import { getMedia, getMediaStream, uploadImage, uploadMedia } from './api-media.js';
import { sendMessage, updateTemplateCard } from './api-message.js';
import { parseAgentId } from './app-config.js';
import {
  INVALID_CREDENTIAL,
  nextRateLimitWait,
  RATE_LIMIT_ERRCODES,
  type RateLimitRetry,
  resolveRateLimit,
  sleep,
  TOKEN_ERRCODES,
  untilAborted,
} from './errcodes.js';
import { JsApiTicketCache, wxAgentConfigParams, wxConfigParams } from './jsapi-ticket.js';
import type { OutboundMessage } from './outbound-message.js';
import type {
  AppChatInfo,
  CreateAppChatOptions,
  GetMediaOptions,
  JsSdkConfigOptions,
  MediaFile,
  MediaStream,
  SendOptions,
  SendResult,
  UpdateAppChatOptions,
  UpdateTemplateCardOptions,
  UpdateTemplateCardResult,
  UploadedMedia,
  UploadImageOptions,
  UploadMediaOptions,
  WeComApiOptions,
  WxAgentConfigParams,
  WxConfigParams,
} from './wecom-api-types.js';

export type * from './wecom-api-types.js';

const OPTION_KEYS = [
  'corpId',
  'agentId',
  'corpSecret',
  'http',
  'store',
  'tokens',
  'rateLimitRetry',
  'tickets',
  'fetch',
  'logger',
  'now',
] as const;
export class WeComApi {
  readonly corpId: string;
  readonly agentId: number;
  readonly tokens: AccessTokenCache;
  /** JS-SDK tickets: `corp` (get_jsapi_ticket, wx.config), `agent` (agent_config, wx.agentConfig). */
  readonly tickets: { readonly corp: JsApiTicketCache; readonly agent: JsApiTicketCache };
  readonly #http: HttpClient;
  readonly #rateLimit: RateLimitRetry;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #core: ApiCore;

  constructor(options: WeComApiOptions) {
    const where = 'WeComApi';
    checkKeys(where, options, OPTION_KEYS);
    this.corpId = requireString(where, 'corpId', options.corpId);
    this.agentId = parseAgentId(where, options.agentId);
    this.#http = options.http instanceof HttpClient ? options.http : new HttpClient(options.http ?? {});
    this.#rateLimit = resolveRateLimit(`${where}: rateLimitRetry`, options.rateLimitRetry);
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    const store: Store = options.store ?? new MemoryStore({ maxEntries: 1000 });
    if (options.tokens instanceof AccessTokenCache) {
      if (options.tokens.corpId !== this.corpId) {
        throw new WeComConfigError(`${where}: the token cache belongs to another corp`);
      }
      this.tokens = options.tokens;
    } else {
      this.tokens = new AccessTokenCache({
        ...(options.tokens ?? {}),
        corpId: this.corpId,
        corpSecret: options.corpSecret,
        agentId: this.agentId,
        http: this.#http,
        store,
        rateLimitRetry: this.#rateLimit,
        logger: this.#logger,
        ...(options.now ? { now: options.now } : {}),
      });
    }
    const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#core = {
      corpId: this.corpId,
      agentId: this.agentId,
      http: this.#http,
      fetch: fetchFn,
      call: (path, callOptions) => this.call(path, callOptions),
      withToken: (path, signal, attempt) => this.#withToken(path, signal, attempt),
    };
    const timing = resolveTiming(`${where}: tickets`, options.tickets ?? {});
    const ticket = (kind: 'corp' | 'agent') =>
      new JsApiTicketCache({
        ...timing,
        kind,
        corpId: this.corpId,
        agentId: this.agentId,
        store,
        now: this.#now,
        logger: this.#logger,
        call: (path, callOptions) => this.call(path, callOptions),
      });
    this.tickets = { corp: ticket('corp'), agent: ticket('agent') };
  }

  /** The API base URL in use. */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /**
   * Calls any WeCom API with this app's access token: token errors refresh and resend once, rate
   * limits back off (bounded), other errcodes throw WeComApiError.
   */
  async call<T extends ApiResult = ApiResult>(path: string, options: CallOptions = {}): Promise<T> {
    const pass = [
      ...TOKEN_ERRCODES,
      INVALID_CREDENTIAL,
      ...RATE_LIMIT_ERRCODES,
      ...(options.passErrcodes ?? []),
    ];
    return this.#withToken(path, options.signal, (token) =>
      this.#http.call<T>(path, {
        ...options,
        query: { ...options.query, access_token: token },
        passErrcodes: pass,
      }),
    );
  }

  async #withToken<T extends ApiResult>(
    path: string,
    signal: AbortSignal | undefined,
    attempt: (token: string) => Promise<T>,
  ): Promise<T> {
    let refreshed = false;
    let limited = 0;
    const startedAt = this.#now();
    for (;;) {
      const before = this.tokens.fetchCount;
      const token = await untilAborted(this.tokens.get(), signal);
      // A token fetched for this very call is not "from the cache": 40001 then means what it says.
      const cached = this.tokens.fetchCount === before;
      const result = await attempt(token);
      const errcode = Number(result.errcode ?? 0);
      const tokenError = TOKEN_ERRCODES.includes(errcode) || (errcode === INVALID_CREDENTIAL && cached);
      if (tokenError) {
        if (refreshed) throw new WeComApiError(errcode, String(result.errmsg ?? ''), path);
        refreshed = true;
        this.#logger.info('WeCom refused the access token; refreshing and resending once', { path, errcode });
        await this.tokens.invalidate(token);
        continue;
      }
      if (errcode === INVALID_CREDENTIAL) throw new WeComApiError(errcode, String(result.errmsg ?? ''), path);
      if (RATE_LIMIT_ERRCODES.includes(errcode)) {
        limited++;
        const wait = nextRateLimitWait(limited, this.#rateLimit, startedAt, this.#now());
        if (wait === undefined) throw new WeComApiError(errcode, String(result.errmsg ?? ''), path);
        this.#logger.warn('WeCom rate limit; backing off', { path, errcode, waitMs: wait });
        await sleep(wait, signal);
        continue;
      }
      return result;
    }
  }

  /** message/send. Long text is split into several messages unless `split: false`. */
  send(options: SendOptions): Promise<SendResult> {
    return sendMessage(this.#core, options);
  }

  /** message/recall: messages sent by message/send within 24 h. */
  async recall(msgid: string): Promise<void> {
    requireString('recall', 'msgid', msgid);
    await this.call('/cgi-bin/message/recall', { method: 'POST', json: { msgid } });
  }

  /** message/update_template_card: a response_code can be used once, within 72 h. */
  updateTemplateCard(
    options: UpdateTemplateCardOptions,
    call: { signal?: AbortSignal } = {},
  ): Promise<UpdateTemplateCardResult> {
    return updateTemplateCard(this.#core, options, call);
  }

  /** getcallbackip: the addresses WeCom calls back from (for firewalls). */
  async getCallbackIp(): Promise<string[]> {
    const result = await this.call('/cgi-bin/getcallbackip', { method: 'GET', idempotent: true });
    return Array.isArray(result.ip_list) ? result.ip_list.map(String) : [];
  }

  /** media/upload (multipart, field `media`). The media_id is valid for 3 days. */
  uploadMedia(options: UploadMediaOptions): Promise<UploadedMedia> {
    return uploadMedia(this.#core, options);
  }

  /** media/uploadimg: a permanent image URL (at most 2 MB) for template cards and news. */
  uploadImage(options: UploadImageOptions): Promise<string> {
    return uploadImage(this.#core, options);
  }

  /**
   * media/get: the file's bytes, type and name. A JSON body (WeCom's error answer) is detected by its
   * Content-Type and thrown as WeComApiError (token errors refresh and retry once).
   */
  getMedia(mediaId: string, options: GetMediaOptions = {}): Promise<MediaFile> {
    return getMedia(this.#core, mediaId, options);
  }

  /** media/get as a stream (the response body, unread), for media too large to buffer. */
  getMediaStream(mediaId: string, options: { signal?: AbortSignal } = {}): Promise<MediaStream> {
    return getMediaStream(this.#core, mediaId, options);
  }

  /** appchat/create: the new group chat's chatid. */
  createAppChat(options: CreateAppChatOptions): Promise<string> {
    return createAppChat(this.#core, options);
  }

  /** appchat/update. */
  updateAppChat(options: UpdateAppChatOptions): Promise<void> {
    return updateAppChat(this.#core, options);
  }

  /** appchat/get. */
  getAppChat(chatid: string): Promise<AppChatInfo> {
    return getAppChat(this.#core, chatid);
  }

  /** appchat/send. */
  sendAppChat(
    chatid: string,
    message: OutboundMessage,
    options: { safe?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    return sendAppChat(this.#core, chatid, message, options);
  }

  /** The ready `wx.config` parameters for a page URL (corp jsapi_ticket, cached and shared). */
  async jsSdkConfig(url: string, options: JsSdkConfigOptions = {}): Promise<WxConfigParams> {
    requireString('jsSdkConfig', 'url', url);
    return wxConfigParams(this.corpId, await this.tickets.corp.get(), url, options, this.#now);
  }

  /** The ready `wx.agentConfig` parameters for a page URL (the app's agent_config ticket). */
  async agentConfig(url: string, options: JsSdkConfigOptions = {}): Promise<WxAgentConfigParams> {
    requireString('agentConfig', 'url', url);
    return wxAgentConfigParams(
      this.corpId,
      this.agentId,
      await this.tickets.agent.get(),
      url,
      options,
      this.#now,
    );
  }

  toJSON(): Record<string, unknown> {
    return { corpId: this.corpId, agentId: this.agentId, baseUrl: this.baseUrl };
  }
}
