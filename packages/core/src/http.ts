/**
 * Outbound HTTP on ky: a timeout on every request, a retry policy that reads WeCom's errcode from
 * every 2xx body, honours 429, never blindly resends a call that may have reached WeCom, and a
 * capped, streamed download. URLs and secrets are redacted in every error.
 */
import ky, { type KyInstance } from 'ky';
import {
  pathOf,
  WeComApiError,
  WeComConfigError,
  WeComError,
  WeComHttpError,
  WeComNetworkError,
  WeComRequestError,
  WeComTimeoutError,
} from './errors.js';
import { type Logger, silentLogger } from './logger.js';

export const DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';

export interface BackoffOptions {
  /** Delay before the first retry. Default 100 ms. */
  baseMs?: number;
  /** Growth per retry. Default 4 (100 ms, 400 ms, 1.6 s …). */
  factor?: number;
  /** Largest single delay. Default 5 s. */
  maxMs?: number;
  /** Random spread, 0..1, applied ± to each delay. Default 0.2. */
  jitter?: number;
}

export interface RetryPolicy {
  /** Total attempts including the first. Default 3. */
  attempts?: number;
  /** errcodes in a 2xx body that mean "busy, try again". Default -1 and 6000. */
  retryErrcodes?: readonly number[];
  /** HTTP statuses that are retried. Default 429, 500, 502, 503, 504. */
  retryStatuses?: readonly number[];
  backoff?: BackoffOptions;
  /** Cap on the whole call including waits. Default 15 s. */
  maxTotalMs?: number;
}

export interface HttpClientOptions {
  /** Injectable fetch (tests, proxies: e.g. a fetch bound to undici's ProxyAgent). */
  fetch?: typeof globalThis.fetch;
  /** API base URL: private WeCom deployments and test servers. Default https://qyapi.weixin.qq.com */
  baseUrl?: string;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  logger?: Logger;
  /** Random source for jitter (tests). */
  random?: () => number;
  /** Sleep (tests with fake timers may pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: FormData | Uint8Array | string;
  /**
   * True when repeating the call is harmless (gettoken, media/get). Otherwise a network error or
   * timeout after the request may have been sent is not retried: it surfaces with
   * `maybeDelivered: true` so a single-use URL is never used twice.
   */
  idempotent?: boolean;
  retry?: RetryPolicy;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra errcodes to hand back instead of throwing (e.g. to let the caller refresh a token). */
  passErrcodes?: readonly number[];
}

export interface ApiResult {
  errcode?: number;
  errmsg?: string;
  [key: string]: unknown;
}

export interface DownloadOptions {
  /** Largest body accepted, checked on Content-Length and while streaming. */
  maxBytes: number;
  timeoutMs?: number;
  /** Allowed URL protocols. Default ['https:']. */
  protocols?: readonly string[];
  /** When set, only these hosts (exact, or a suffix starting with '.'). */
  hosts?: readonly string[];
  signal?: AbortSignal;
}

export interface Downloaded {
  bytes: Uint8Array;
  /** Content-Type without parameters, lower case, or '' when absent. */
  contentType: string;
  headers: Headers;
}

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_INVALID_URL',
]);

/** True when a fetch failure certainly happened before the request reached the server. */
export function failedBeforeSend(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
    if (Array.isArray((e as { errors?: unknown }).errors)) {
      return (e as { errors: unknown[] }).errors.every((x) => failedBeforeSend(x));
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export class HttpClient {
  readonly baseUrl: string;
  readonly #ky: KyInstance;
  readonly #timeout: number;
  readonly #retry: ResolvedPolicy;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: HttpClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_BASE).replace(/\/+$/, '');
    try {
      new URL(this.baseUrl);
    } catch (cause) {
      throw new WeComConfigError('baseUrl must be an absolute URL', { cause });
    }
    this.#timeout = options.timeoutMs ?? 10_000;
    this.#retry = resolvePolicy(options.retry);
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#ky = ky.create({
      retry: 0,
      throwHttpErrors: false,
      timeout: false,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** Resolves an API path against the base URL (absolute URLs pass through). */
  url(pathOrUrl: string, query?: CallOptions['query']): URL {
    const url = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(this.baseUrl + pathOrUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * Calls a WeCom JSON API. Returns the body when errcode is 0 or absent (or listed in
   * `passErrcodes`); otherwise throws `WeComApiError`. Retries by the policy.
   */
  async call<T extends ApiResult = ApiResult>(pathOrUrl: string, options: CallOptions = {}): Promise<T> {
    const policy = options.retry ? resolvePolicy({ ...this.#retry, ...options.retry }) : this.#retry;
    const url = this.url(pathOrUrl, options.query);
    const path = pathOf(url.toString());
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      let failure: WeComError;
      try {
        const result = await this.#once<T>(url, path, options, policy);
        if (result.kind === 'ok') return result.value;
        failure = result.error;
        if (result.retryable) wait = result.retryAfterMs ?? this.#backoff(attempt, policy.backoff);
      } catch (error) {
        failure = error as WeComError;
        const unsafe =
          (failure instanceof WeComNetworkError || failure instanceof WeComTimeoutError) &&
          failure.maybeDelivered;
        if (!(failure instanceof WeComNetworkError || failure instanceof WeComTimeoutError)) throw error;
        if (!unsafe || options.idempotent) wait = this.#backoff(attempt, policy.backoff);
      }
      const elapsed = Date.now() - started;
      if (wait === undefined || attempt >= policy.attempts || elapsed + wait > policy.maxTotalMs)
        throw failure;
      this.#logger.debug('retrying WeCom call', { path, attempt, waitMs: wait, code: failure.code });
      await this.#sleep(wait);
    }
  }

  async #once<T extends ApiResult>(
    url: URL,
    path: string,
    options: CallOptions,
    policy: ResolvedPolicy,
  ): Promise<
    { kind: 'ok'; value: T } | { kind: 'fail'; error: WeComError; retryable: boolean; retryAfterMs?: number }
  > {
    const timeoutMs = options.timeoutMs ?? this.#timeout;
    const response = await this.#send(url, path, timeoutMs, options);
    const text = await response.text().catch(() => {
      throw new WeComNetworkError(path, true);
    });
    if (!response.ok) {
      const retryable = policy.retryStatuses.includes(response.status);
      const retryAfterMs = retryAfter(response.headers.get('retry-after'));
      return {
        kind: 'fail',
        error: new WeComHttpError(response.status, path),
        retryable,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      // A 2xx that is not a JSON object: outcome unknown, never counted as success.
      return {
        kind: 'fail',
        error: new WeComHttpError(response.status, path, 'response is not a JSON object'),
        retryable: false,
      };
    }
    const value = body as T;
    const errcode = typeof value.errcode === 'number' ? value.errcode : Number(value.errcode ?? 0);
    if (errcode === 0 || Number.isNaN(errcode) || options.passErrcodes?.includes(errcode))
      return { kind: 'ok', value };
    return {
      kind: 'fail',
      error: new WeComApiError(errcode, String(value.errmsg ?? ''), path),
      retryable: policy.retryErrcodes.includes(errcode),
    };
  }

  async #send(url: URL, path: string, timeoutMs: number, options: CallOptions): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const init = {
        method: options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET'),
        signal: controller.signal,
        ...(options.json !== undefined ? { json: options.json } : {}),
        ...(options.body !== undefined ? { body: options.body as BodyInit } : {}),
      };
      return await this.#ky(url, init);
    } catch (error) {
      if (controller.signal.aborted) {
        if (options.signal?.aborted) throw new WeComNetworkError(path, true, { cause: error });
        throw new WeComTimeoutError(path, timeoutMs, true, { cause: error });
      }
      throw new WeComNetworkError(path, !failedBeforeSend(error), { cause: error });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #backoff(attempt: number, b: Required<BackoffOptions>): number {
    const raw = Math.min(b.maxMs, b.baseMs * b.factor ** (attempt - 1));
    const spread = raw * b.jitter * (this.#random() * 2 - 1);
    return Math.max(0, Math.round(raw + spread));
  }

  /**
   * Downloads a URL with a timeout and a size cap enforced on Content-Length and while streaming.
   * Only https by default (SSRF): tests and private deployments may allow http explicitly.
   */
  async download(rawUrl: string, options: DownloadOptions): Promise<Downloaded> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch (cause) {
      throw new WeComRequestError('bad_request', 'media URL is not a valid URL', { cause });
    }
    const path = pathOf(url.toString());
    const protocols = options.protocols ?? ['https:'];
    if (!protocols.includes(url.protocol)) {
      throw new WeComRequestError('forbidden', `media URL protocol ${url.protocol} is not allowed`);
    }
    if (
      options.hosts &&
      !options.hosts.some((h) => (h.startsWith('.') ? url.hostname.endsWith(h) : url.hostname === h))
    ) {
      throw new WeComRequestError('forbidden', 'media URL host is not allowed');
    }
    const timeoutMs = options.timeoutMs ?? this.#timeout;
    const response = await this.#send(url, path, timeoutMs, {
      method: 'GET',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new WeComHttpError(response.status, path);
    }
    const declared = Number(response.headers.get('content-length') ?? 'NaN');
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw new WeComRequestError('body_too_large', `media exceeds ${options.maxBytes} bytes`, {
        status: 413,
      });
    }
    const bytes = await readCapped(response, options.maxBytes, path);
    const contentType = (response.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
    return { bytes, contentType, headers: response.headers };
  }
}

async function readCapped(response: Response, maxBytes: number, path: string): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new WeComRequestError('body_too_large', `media exceeds ${maxBytes} bytes`, { status: 413 });
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof WeComError) throw error;
    throw new WeComNetworkError(path, true, { cause: error });
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), 60_000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - Date.now()), 60_000);
}

type ResolvedPolicy = Required<Omit<RetryPolicy, 'backoff'>> & { backoff: Required<BackoffOptions> };

function resolvePolicy(p: RetryPolicy = {}): ResolvedPolicy {
  const attempts = p.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    throw new WeComConfigError('retry.attempts must be an integer from 1 to 20');
  }
  return {
    attempts,
    retryErrcodes: p.retryErrcodes ?? [-1, 6000],
    retryStatuses: p.retryStatuses ?? [429, 500, 502, 503, 504],
    maxTotalMs: p.maxTotalMs ?? 15_000,
    backoff: {
      baseMs: p.backoff?.baseMs ?? 100,
      factor: p.backoff?.factor ?? 4,
      maxMs: p.backoff?.maxMs ?? 5_000,
      jitter: p.backoff?.jitter ?? 0.2,
    },
  };
}
