/**
 * Outbound HTTP on ky. ky runs the attempts: its `timeout` on each, its `retry` (limit, methods,
 * statuses, `retryOnTimeout`, `shouldRetry`) and an `afterResponse` hook that reads WeCom's errcode
 * from every 2xx body and forces a retry with `ky.retry()` for the busy codes. What ky cannot know
 * lives in ./http-policy.ts: the maybe-delivered rule (a call that may have reached WeCom is never
 * resent unless idempotent), the wait before a retry, the total cap, and redaction in every error.
 */
import ky, { isHTTPError, isTimeoutError, type KyInstance, TimeoutError } from 'ky';
import {
  pathOf,
  registerSecret,
  WeComApiError,
  WeComConfigError,
  WeComError,
  WeComHttpError,
  WeComNetworkError,
} from './errors.js';
import { type Downloaded, type DownloadOptions, download } from './http-download.js';
import {
  type ExchangeState,
  maybeDelivered,
  mergePolicy,
  positive,
  type ResolvedPolicy,
  type RetryPolicy,
  resolvePolicy,
  retryWait,
  safeCause,
  toWeComError,
} from './http-policy.js';
import { type Logger, silentLogger } from './logger.js';
import { callRetry, describeCall, inCall } from './telemetry-call.js';

export { checkDownloadUrl, type Downloaded, type DownloadOptions } from './http-download.js';
export { type BackoffOptions, failedBeforeSend, type RetryPolicy } from './http-policy.js';

export const DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';

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

/** Query parameters whose values are registered as secrets when a URL is built. */
const SECRET_QUERY = ['access_token', 'corpsecret'];

export class HttpClient {
  readonly baseUrl: string;
  readonly #ky: KyInstance;
  readonly #timeout: number;
  readonly #retryInput: RetryPolicy;
  readonly #retry: ResolvedPolicy;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: HttpClientOptions = {}) {
    const base = options.baseUrl ?? DEFAULT_API_BASE;
    let parsed: URL;
    try {
      parsed = new URL(base);
    } catch (cause) {
      throw new WeComConfigError('baseUrl must be an absolute URL', { cause });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new WeComConfigError('baseUrl must be an http(s) URL');
    if (parsed.search || parsed.hash || parsed.username || parsed.password)
      throw new WeComConfigError('baseUrl must have no query, fragment or credentials');
    this.baseUrl = base.replace(/\/+$/, '');
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new WeComConfigError('fetch must be a function');
    this.#timeout = positive(options.timeoutMs ?? 10_000, 'timeoutMs');
    this.#retryInput = options.retry ?? {};
    this.#retry = resolvePolicy(this.#retryInput);
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const fetchFn = options.fetch;
    this.#ky = ky.create({
      timeout: this.#timeout,
      ...(fetchFn ? { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetchFn(input, init) } : {}),
    });
  }

  /** Resolves an API path against the base URL (absolute URLs pass through). */
  url(pathOrUrl: string, query?: CallOptions['query']): URL {
    const url = /^https?:\/\//i.test(pathOrUrl)
      ? new URL(pathOrUrl)
      : new URL(this.baseUrl + (pathOrUrl.startsWith('/') ? '' : '/') + pathOrUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    for (const name of SECRET_QUERY) registerSecret(url.searchParams.get(name));
    return url;
  }

  /**
   * Calls a WeCom JSON API. Returns the body when errcode is 0 or absent (or listed in
   * `passErrcodes`); otherwise throws `WeComApiError`. Retries by the policy; a network error or
   * timeout after the request may have been sent is retried only for `idempotent` calls.
   */
  call<T extends ApiResult = ApiResult>(pathOrUrl: string, options: CallOptions = {}): Promise<T> {
    return inCall(() => this.#call<T>(pathOrUrl, options));
  }

  async #call<T extends ApiResult>(pathOrUrl: string, options: CallOptions): Promise<T> {
    const policy = options.retry ? mergePolicy(this.#retryInput, options.retry) : this.#retry;
    const timeoutMs = positive(options.timeoutMs ?? this.#timeout, 'timeoutMs');
    const url = this.url(pathOrUrl, options.query);
    const caller = options.signal;
    const deadline = new AbortController();
    const state: ExchangeState = {
      path: pathOf(url.toString()),
      timeoutMs,
      totalMs: policy.maxTotalMs,
      responded: false,
      caller,
      deadline: deadline.signal,
    };
    if (caller?.aborted) throw new WeComNetworkError(state.path, false, { cause: safeCause(caller.reason) });
    const method =
      options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET');
    const idempotent = options.idempotent === true;
    describeCall(state.path, method);
    const started = Date.now();
    let attemptStarted = started;
    let value: T | undefined;
    const timer = setTimeout(() => deadline.abort(), policy.maxTotalMs);
    try {
      const response = await this.#ky(url, {
        method,
        signal: caller ? AbortSignal.any([caller, deadline.signal]) : deadline.signal,
        timeout: timeoutMs,
        ...(options.json !== undefined ? { json: options.json } : {}),
        ...(options.body !== undefined ? { body: options.body as BodyInit } : {}),
        retry: {
          limit: policy.attempts - 1,
          methods: ['get', 'post'],
          statusCodes: [...policy.retryStatuses],
          retryOnTimeout: idempotent,
          // The wait is taken in beforeRetry (retryWait, through the injectable sleep), where the
          // total cap can refuse it before it starts; ky itself waits nothing.
          delay: () => 0,
          afterStatusCodes: [],
          shouldRetry: ({ error }) => {
            if (caller?.aborted || deadline.signal.aborted || error instanceof WeComError) return false;
            // ky's own rules for statuses and timeouts (retryOnTimeout above).
            if (isTimeoutError(error) || isHTTPError(error)) return undefined;
            return idempotent || !maybeDelivered(error, state);
          },
        },
        hooks: {
          beforeRequest: [
            () => {
              state.responded = false;
              attemptStarted = Date.now();
            },
          ],
          afterResponse: [
            async (request, _options, response) => {
              state.responded = true;
              if (!response.ok) return; // ky throws HTTPError; retry.statusCodes decides
              const text = await textWithin(response, timeoutMs - (Date.now() - attemptStarted), request);
              const outcome = readResult<T>(text, response.status, state.path, options.passErrcodes);
              if (outcome instanceof WeComError) {
                if (outcome instanceof WeComApiError && policy.retryErrcodes.includes(outcome.errcode))
                  return ky.retry({ code: `errcode ${outcome.errcode}`, cause: outcome });
                throw outcome;
              }
              value = outcome;
              return new Response(null, { status: response.status, headers: response.headers });
            },
          ],
          beforeRetry: [
            async ({ error, retryCount }) => {
              const failure = toWeComError(error, state);
              const wait = retryWait(error, retryCount, policy.backoff, this.#random);
              if (Date.now() - started + wait >= policy.maxTotalMs) throw failure;
              callRetry(state.path, retryCount, failure.code, wait);
              this.#logger.debug('retrying WeCom call', {
                path: state.path,
                attempt: retryCount,
                waitMs: wait,
                code: failure.code,
              });
              await this.#sleep(wait);
              if (caller?.aborted) throw failure;
            },
          ],
        },
      });
      void response.body?.cancel().catch(() => {});
    } catch (error) {
      throw toWeComError(error, state);
    } finally {
      clearTimeout(timer);
    }
    return value as T;
  }

  /**
   * Downloads a URL with a timeout and a size cap enforced on Content-Length and while streaming.
   * Only https by default (SSRF): tests and private deployments may allow http explicitly.
   * Redirects are followed by hand, each target checked against `protocols` and `hosts` again.
   */
  download(rawUrl: string, options: DownloadOptions): Promise<Downloaded> {
    return download(this.#ky, this.#timeout, rawUrl, options);
  }
}

/** A 2xx body: the value when errcode is 0, absent or passed; otherwise the error it stands for. */
function readResult<T extends ApiResult>(
  text: string,
  status: number,
  path: string,
  passErrcodes: readonly number[] | undefined,
): T | WeComError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    // Outcome unknown: never counted as success, never resent.
    return new WeComHttpError(status, path, 'response is not a JSON object');
  }
  const value = body as T;
  const errcode = typeof value.errcode === 'number' ? value.errcode : Number(value.errcode ?? 0);
  if (errcode === 0 || Number.isNaN(errcode) || passErrcodes?.includes(errcode)) return value;
  return new WeComApiError(errcode, String(value.errmsg ?? ''), path);
}

/**
 * Reads a body within what is left of the attempt's timeout: ky's `timeout` ends when the headers
 * arrive, and a server that then stalls must time out too (as ky's TimeoutError, so ky's
 * `retryOnTimeout` applies).
 */
async function textWithin(response: Response, ms: number, request: Request): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  let expired = false;
  const timer = setTimeout(
    () => {
      expired = true;
      void reader.cancel().catch(() => {});
    },
    Math.max(1, ms),
  );
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (expired) throw new TimeoutError(request);
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
}
