/**
 * The outbound API of one app (docs/protocol.md §4.5–4.8), on core's HttpClient (ky): message/send,
 * media/upload, media/get, message/recall, message/update_template_card, getcallbackip.
 *
 * Every call carries the app's access token. 40014/42001/41001 evict that token (only if it is
 * still the cached one), refresh and resend once; 45009/45033 back off, bounded; -1 is retried by
 * the HttpClient's policy; every other errcode is thrown as WeComApiError at once. Requests and
 * results keep WeCom's field names.
 */
import {
  type ApiResult,
  type CallOptions,
  checkKeys,
  HttpClient,
  type HttpClientOptions,
  type Logger,
  MemoryStore,
  optionalNumber,
  requireString,
  type Store,
  silentLogger,
  splitUtf8,
  utf8Length,
  WeComApiError,
  WeComConfigError,
  WeComError,
} from '@maven/wecom-core';
import { AccessTokenCache, type AccessTokenCacheOptions } from './access-token.js';
import { parseAgentId } from './app-config.js';
import {
  RATE_LIMIT_ERRCODES,
  type RateLimitRetry,
  type RateLimitRetryOptions,
  rateLimitDelay,
  resolveRateLimit,
  sleep,
  TOKEN_ERRCODES,
  untilAborted,
} from './errcodes.js';
import { WeComMessageError } from './errors.js';
import {
  checkUpload,
  contentTypeFor,
  filenameFromDisposition,
  type MediaType,
  withExtension,
} from './media.js';
import {
  checkOutboundMessage,
  checkTemplateCard,
  Message,
  type OutboundMessage,
  TEXT_LIMIT_BYTES,
  type TemplateCard,
} from './outbound-message.js';

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

const OPTION_KEYS = [
  'corpId',
  'agentId',
  'corpSecret',
  'http',
  'store',
  'tokens',
  'rateLimitRetry',
  'logger',
  'now',
] as const;
const SEND_KEYS = [
  'message',
  'touser',
  'toparty',
  'totag',
  'safe',
  'enable_id_trans',
  'enable_duplicate_check',
  'duplicate_check_interval',
  'split',
  'signal',
] as const;

function ids(where: string, value: Recipients | Departments | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).map((v) => String(v).trim());
  if (list.some((v) => v.length === 0 || v.includes('|'))) {
    throw new WeComMessageError(`${where}: ids must be non-empty and must not contain '|'`);
  }
  if (list.length > max) throw new WeComMessageError(`${where}: at most ${max} ids per message`);
  return list.length === 0 ? undefined : list.join('|');
}

function split(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value.length > 0 ? value.split('|').filter((v) => v.length > 0) : [];
}

const flag = (value: boolean | undefined): 0 | 1 | undefined =>
  value === undefined ? undefined : value ? 1 : 0;

export class WeComApi {
  readonly corpId: string;
  readonly agentId: number;
  readonly tokens: AccessTokenCache;
  readonly #http: HttpClient;
  readonly #rateLimit: RateLimitRetry;
  readonly #logger: Logger;

  constructor(options: WeComApiOptions) {
    const where = 'WeComApi';
    checkKeys(where, options, OPTION_KEYS);
    this.corpId = requireString(where, 'corpId', options.corpId);
    this.agentId = parseAgentId(where, options.agentId);
    this.#http = options.http instanceof HttpClient ? options.http : new HttpClient(options.http ?? {});
    this.#rateLimit = resolveRateLimit(`${where}: rateLimitRetry`, options.rateLimitRetry);
    this.#logger = options.logger ?? silentLogger;
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
        store: options.store ?? new MemoryStore({ maxEntries: 1000 }),
        rateLimitRetry: this.#rateLimit,
        logger: this.#logger,
        ...(options.now ? { now: options.now } : {}),
      });
    }
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
    const pass = [...TOKEN_ERRCODES, ...RATE_LIMIT_ERRCODES, ...(options.passErrcodes ?? [])];
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
    for (;;) {
      const token = await untilAborted(this.tokens.get(), signal);
      const result = await attempt(token);
      const errcode = Number(result.errcode ?? 0);
      if (TOKEN_ERRCODES.includes(errcode)) {
        if (refreshed) throw new WeComApiError(errcode, String(result.errmsg ?? ''), path);
        refreshed = true;
        this.#logger.info('WeCom refused the access token; refreshing and resending once', { path, errcode });
        await this.tokens.invalidate(token);
        continue;
      }
      if (RATE_LIMIT_ERRCODES.includes(errcode)) {
        limited++;
        if (limited >= this.#rateLimit.attempts)
          throw new WeComApiError(errcode, String(result.errmsg ?? ''), path);
        const wait = rateLimitDelay(limited, this.#rateLimit);
        this.#logger.warn('WeCom rate limit; backing off', { path, errcode, waitMs: wait });
        await sleep(wait, signal);
        continue;
      }
      return result;
    }
  }

  /** message/send. Long text is split into several messages unless `split: false`. */
  async send(options: SendOptions): Promise<SendResult> {
    checkKeys('send', options, SEND_KEYS);
    checkOutboundMessage(options.message);
    const touser = ids('touser', options.touser, 1000);
    const toparty = ids('toparty', options.toparty, 100);
    const totag = ids('totag', options.totag, 100);
    if (touser === undefined && toparty === undefined && totag === undefined) {
      throw new WeComMessageError('send: give touser, toparty or totag');
    }
    const interval = options.duplicate_check_interval;
    if (interval !== undefined) {
      optionalNumber('send', 'duplicate_check_interval', interval, 1800, {
        min: 1,
        max: 14_400,
        integer: true,
      });
    }
    const common: Record<string, unknown> = { touser, toparty, totag, agentid: this.agentId };
    const extras: Record<string, unknown> = {
      safe: flag(options.safe),
      enable_id_trans: flag(options.enable_id_trans),
      enable_duplicate_check: flag(options.enable_duplicate_check),
      duplicate_check_interval: interval,
    };
    const message = options.message;
    const parts =
      message.msgtype === 'text' &&
      options.split !== false &&
      utf8Length(message.text.content) > TEXT_LIMIT_BYTES
        ? splitUtf8(message.text.content, TEXT_LIMIT_BYTES).map((content) => Message.text(content))
        : [message];
    const results: ApiResult[] = [];
    for (const part of parts) {
      const body = {
        ...common,
        msgtype: part.msgtype,
        [part.msgtype]: part[part.msgtype as keyof typeof part],
      };
      for (const [k, v] of Object.entries(extras)) if (v !== undefined) body[k] = v;
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      results.push(
        await this.call('/cgi-bin/message/send', {
          method: 'POST',
          json: body,
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      );
    }
    return combine(results);
  }

  /** media/upload (multipart, field `media`). The media_id is valid for 3 days. */
  async uploadMedia(options: UploadMediaOptions): Promise<UploadedMedia> {
    checkKeys('uploadMedia', options, ['type', 'data', 'filename', 'contentType']);
    const data = options.data;
    const blobPart =
      data instanceof Blob ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : (data as unknown);
    if (!(blobPart instanceof Blob) && !(blobPart instanceof Uint8Array)) {
      throw new WeComMessageError('uploadMedia: data must be a Uint8Array, an ArrayBuffer or a Blob');
    }
    const size = blobPart instanceof Blob ? blobPart.size : blobPart.byteLength;
    checkUpload(options.type, size, options.filename);
    const blobType = blobPart instanceof Blob ? blobPart.type : '';
    const contentType = contentTypeFor(options.filename, options.contentType ?? (blobType || undefined));
    const filename = withExtension(options.filename, contentType);
    const form = new FormData();
    const blob =
      blobPart instanceof Blob
        ? new Blob([blobPart], { type: contentType })
        : new Blob([blobPart as Uint8Array<ArrayBuffer>], { type: contentType });
    form.append('media', blob, filename);
    // A FormData body can be sent again as it is (token refresh, -1 retries).
    const result = await this.call<ApiResult>('/cgi-bin/media/upload', {
      method: 'POST',
      query: { type: options.type },
      body: form,
    });
    if (typeof result.media_id !== 'string' || result.media_id.length === 0) {
      throw new WeComError('invalid_response', 'media/upload answered without a media_id', { status: 502 });
    }
    return {
      type: String(result.type ?? options.type),
      media_id: result.media_id,
      created_at: String(result.created_at ?? ''),
    };
  }

  /**
   * media/get: the file's bytes, type and name. A JSON body (WeCom's error answer) is detected by its
   * Content-Type and thrown as WeComApiError (token errors refresh and retry once).
   */
  async getMedia(mediaId: string, options: GetMediaOptions = {}): Promise<MediaFile> {
    requireString('getMedia', 'mediaId', mediaId);
    checkKeys('getMedia', options, ['maxBytes', 'timeoutMs']);
    const maxBytes = optionalNumber('getMedia', 'maxBytes', options.maxBytes, 20 * 1024 * 1024 + 1024, {
      min: 1,
      integer: true,
    });
    const path = '/cgi-bin/media/get';
    const protocol = new URL(this.#http.baseUrl).protocol;
    let file: MediaFile | undefined;
    await this.#withToken(path, undefined, async (token) => {
      const url = this.#http.url(path, { access_token: token, media_id: mediaId }).toString();
      const got = await this.#http.download(url, {
        maxBytes,
        protocols: [protocol],
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      const error = errorBody(got.contentType, got.bytes);
      if (error !== undefined) {
        if (!TOKEN_ERRCODES.includes(error.errcode) && !RATE_LIMIT_ERRCODES.includes(error.errcode)) {
          throw new WeComApiError(error.errcode, error.errmsg, path);
        }
        return error;
      }
      file = { bytes: got.bytes, contentType: got.contentType };
      const filename = filenameFromDisposition(got.headers.get('content-disposition'));
      if (filename !== undefined) file.filename = filename;
      return { errcode: 0 };
    });
    return file!;
  }

  /** message/recall: messages sent by message/send within 24 h. */
  async recall(msgid: string): Promise<void> {
    requireString('recall', 'msgid', msgid);
    await this.call('/cgi-bin/message/recall', { method: 'POST', json: { msgid } });
  }

  /** message/update_template_card: a response_code can be used once, within 72 h. */
  async updateTemplateCard(
    options: UpdateTemplateCardOptions,
    call: { signal?: AbortSignal } = {},
  ): Promise<UpdateTemplateCardResult> {
    checkKeys('updateTemplateCard', options, [
      'response_code',
      'userids',
      'partyids',
      'tagids',
      'atall',
      'enable_id_trans',
      'button',
      'template_card',
    ]);
    requireString('updateTemplateCard', 'response_code', options.response_code);
    if ((options.button === undefined) === (options.template_card === undefined)) {
      throw new WeComMessageError('updateTemplateCard: give exactly one of button or template_card');
    }
    if (options.button !== undefined)
      requireString('updateTemplateCard', 'button.replace_name', options.button.replace_name);
    if (options.template_card !== undefined) checkTemplateCard(options.template_card);
    const body: Record<string, unknown> = { agentid: this.agentId, response_code: options.response_code };
    if (options.userids !== undefined) body.userids = [...options.userids];
    if (options.partyids !== undefined) body.partyids = [...options.partyids];
    if (options.tagids !== undefined) body.tagids = [...options.tagids];
    if (options.atall !== undefined) body.atall = flag(options.atall);
    if (options.enable_id_trans !== undefined) body.enable_id_trans = flag(options.enable_id_trans);
    if (options.button !== undefined) body.button = { replace_name: options.button.replace_name };
    if (options.template_card !== undefined) body.template_card = options.template_card;
    const result = await this.call('/cgi-bin/message/update_template_card', {
      method: 'POST',
      json: body,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    return {
      invaliduser: split(result.invaliduser),
      invalidparty: split(result.invalidparty),
      invalidtag: split(result.invalidtag),
    };
  }

  /** getcallbackip: the addresses WeCom calls back from (for firewalls). */
  async getCallbackIp(): Promise<string[]> {
    const result = await this.call('/cgi-bin/getcallbackip', { method: 'GET', idempotent: true });
    return Array.isArray(result.ip_list) ? result.ip_list.map(String) : [];
  }

  toJSON(): Record<string, unknown> {
    return { corpId: this.corpId, agentId: this.agentId, baseUrl: this.baseUrl };
  }
}

function combine(results: ApiResult[]): SendResult {
  const msgids = results.map((r) => String(r.msgid ?? '')).filter((m) => m.length > 0);
  const union = (field: string) => [...new Set(results.flatMap((r) => split(r[field])))];
  const out: SendResult = {
    msgid: msgids[0] ?? '',
    msgids,
    invaliduser: union('invaliduser'),
    invalidparty: union('invalidparty'),
    invalidtag: union('invalidtag'),
    unlicenseduser: union('unlicenseduser'),
  };
  const code = results.find(
    (r) => typeof r.response_code === 'string' && r.response_code.length > 0,
  )?.response_code;
  if (typeof code === 'string') out.response_code = code;
  return out;
}

const decoder = new TextDecoder();

/** WeCom answers media/get errors with a JSON body (application/json, sometimes text/plain). */
function errorBody(contentType: string, bytes: Uint8Array): { errcode: number; errmsg: string } | undefined {
  if (!contentType.includes('json') && contentType !== 'text/plain') return undefined;
  if (bytes.byteLength > 64 * 1024) return undefined;
  try {
    const value = JSON.parse(decoder.decode(bytes)) as { errcode?: unknown; errmsg?: unknown };
    const errcode = Number(value.errcode ?? 0);
    if (Number.isFinite(errcode) && errcode !== 0) return { errcode, errmsg: String(value.errmsg ?? '') };
  } catch {
    if (contentType.includes('json')) {
      throw new WeComError('invalid_response', 'media/get answered with malformed JSON', { status: 502 });
    }
  }
  return undefined;
}
