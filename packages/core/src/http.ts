/**
 * Outbound HTTP on ky: a timeout on every request, a retry policy that reads WeCom's errcode from
 * every 2xx body, honours 429, never blindly resends a call that may have reached WeCom, and a
 * capped, streamed download. URLs and secrets are redacted in every error.
 */
import ky, { type KyInstance } from 'ky';
import {
  pathOf,
  redact,
  registerSecret,
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
  /** For the whole download: redirects, headers and body. Default the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Allowed URL protocols. Default ['https:']. */
  protocols?: readonly string[];
  /** When set, only these hosts (exact, or a suffix starting with '.'). */
  hosts?: readonly string[];
  signal?: AbortSignal;
  /** Redirects followed, each target checked against `protocols` and `hosts` again. Default 3. */
  maxRedirects?: number;
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
  'UND_ERR_CONNECT_TIMEOUT',
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

/** Query parameters whose values are registered as secrets when a URL is built. */
const SECRET_QUERY = ['access_token', 'corpsecret'];
const MAX_REDIRECTS = 3;

interface Exchange {
  /** True once response headers arrived: a failure after that may follow a delivered request. */
  responded: boolean;
}

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
    this.#ky = ky.create({
      retry: 0,
      throwHttpErrors: false,
      timeout: false,
      fetch: releasingBody(options.fetch ?? ((input, init) => globalThis.fetch(input, init))),
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
  async call<T extends ApiResult = ApiResult>(pathOrUrl: string, options: CallOptions = {}): Promise<T> {
    const policy = options.retry
      ? resolvePolicy({
          ...this.#retryInput,
          ...options.retry,
          backoff: { ...this.#retryInput.backoff, ...options.retry.backoff },
        })
      : this.#retry;
    const timeoutMs = positive(options.timeoutMs ?? this.#timeout, 'timeoutMs');
    const url = this.url(pathOrUrl, options.query);
    const path = pathOf(url.toString());
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      let failure: WeComError;
      // The last attempt gets only what is left of the total cap.
      const remaining = policy.maxTotalMs - (Date.now() - started);
      try {
        const result = await this.#once<T>(
          url,
          path,
          options,
          policy,
          Math.max(1, Math.min(timeoutMs, remaining)),
        );
        if (result.kind === 'ok') return result.value;
        failure = result.error;
        if (result.retryable) wait = result.retryAfterMs ?? this.#backoff(attempt, policy.backoff);
      } catch (error) {
        if (!(error instanceof WeComNetworkError || error instanceof WeComTimeoutError)) throw error;
        failure = error;
        if (options.signal?.aborted) throw failure;
        if (!error.maybeDelivered || options.idempotent) wait = this.#backoff(attempt, policy.backoff);
      }
      const elapsed = Date.now() - started;
      if (wait === undefined || attempt >= policy.attempts || elapsed + wait >= policy.maxTotalMs)
        throw failure;
      this.#logger.debug('retrying WeCom call', { path, attempt, waitMs: wait, code: failure.code });
      await this.#sleep(wait);
      if (options.signal?.aborted) throw failure;
    }
  }

  async #once<T extends ApiResult>(
    url: URL,
    path: string,
    options: CallOptions,
    policy: ResolvedPolicy,
    timeoutMs: number,
  ): Promise<
    { kind: 'ok'; value: T } | { kind: 'fail'; error: WeComError; retryable: boolean; retryAfterMs?: number }
  > {
    const method =
      options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET');
    // The timer covers the body too: a server that sends headers and then stalls is a timeout.
    const { response, text } = await this.#exchange(
      path,
      timeoutMs,
      options.signal,
      async (signal, state) => {
        const response = await this.#ky(url, {
          method,
          signal,
          ...(options.json !== undefined ? { json: options.json } : {}),
          ...(options.body !== undefined ? { body: options.body as BodyInit } : {}),
        });
        state.responded = true;
        return { response, text: await response.text() };
      },
    );
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
      // A 2xx that is not a JSON object: outcome unknown, never counted as success, never resent.
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

  /**
   * Runs one exchange (request and body) under a timeout and the caller's signal, and maps every
   * failure into the error family: the caller's abort and network errors to `WeComNetworkError`,
   * the timer to `WeComTimeoutError`; errors of the family pass through.
   */
  async #exchange<R>(
    path: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    run: (signal: AbortSignal, state: Exchange) => Promise<R>,
  ): Promise<R> {
    const controller = new AbortController();
    const state: Exchange = { responded: false };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    if (signal?.aborted) {
      clearTimeout(timer);
      throw new WeComNetworkError(path, false, { cause: safeCause(signal.reason) });
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await run(controller.signal, state);
    } catch (error) {
      if (error instanceof WeComError) throw error;
      const cause = safeCause(error);
      if (timedOut) throw new WeComTimeoutError(path, timeoutMs, true, { cause });
      // Aborted by the caller while under way: it may have been sent.
      if (signal?.aborted) throw new WeComNetworkError(path, true, { cause });
      throw new WeComNetworkError(path, state.responded || !failedBeforeSend(error), { cause });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
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
   * Redirects are followed by hand, each target checked against `protocols` and `hosts` again.
   */
  async download(rawUrl: string, options: DownloadOptions): Promise<Downloaded> {
    const maxBytes = options?.maxBytes;
    if (typeof maxBytes !== 'number' || !(maxBytes >= 0))
      throw new WeComConfigError('download maxBytes must be a non-negative number');
    const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS;
    const protocols = options.protocols ?? ['https:'];
    const hosts = options.hosts?.map((h) => h.toLowerCase());
    const check = (candidate: string, base?: URL): URL => checkDownloadUrl(candidate, protocols, hosts, base);
    let url = check(rawUrl);
    const timeoutMs = positive(options.timeoutMs ?? this.#timeout, 'timeoutMs');
    return this.#exchange(pathOf(url.toString()), timeoutMs, options.signal, async (signal, state) => {
      for (let hop = 0; ; hop++) {
        const path = pathOf(url.toString());
        const response = await this.#ky(url, { method: 'GET', signal, redirect: 'manual' });
        state.responded = true;
        if (response.type === 'opaqueredirect') {
          throw new WeComRequestError('forbidden', 'media URL redirects, and this runtime hides the target');
        }
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel().catch(() => {});
          if (hop >= maxRedirects) throw new WeComRequestError('forbidden', 'media URL redirects too often');
          url = check(location, url);
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel().catch(() => {});
          throw new WeComHttpError(response.status, path);
        }
        const declared = Number(response.headers.get('content-length') ?? 'NaN');
        if (Number.isFinite(declared) && declared > maxBytes) {
          await response.body?.cancel().catch(() => {});
          throw new WeComRequestError('body_too_large', `media exceeds ${maxBytes} bytes`, { status: 413 });
        }
        const bytes = await readCapped(response, maxBytes);
        const contentType = (response.headers.get('content-type') ?? '')
          .split(';', 1)[0]!
          .trim()
          .toLowerCase();
        return { bytes, contentType, headers: response.headers };
      }
    });
  }
}

/**
 * The SSRF guard of downloads (also used by streamed ones): `candidate` resolved against `base`,
 * its protocol in `protocols`, its host in `hosts` (lower case; exact, or a suffix starting with '.').
 */
export function checkDownloadUrl(
  candidate: string,
  protocols: readonly string[],
  hosts: readonly string[] | undefined,
  base?: URL,
): URL {
  let url: URL;
  try {
    url = base ? new URL(candidate, base) : new URL(candidate);
  } catch (cause) {
    throw new WeComRequestError('bad_request', 'media URL is not a valid URL', { cause: safeCause(cause) });
  }
  if (!protocols.includes(url.protocol)) {
    throw new WeComRequestError('forbidden', `media URL protocol ${url.protocol} is not allowed`);
  }
  if (hosts && !hosts.some((h) => (h.startsWith('.') ? url.hostname.endsWith(h) : url.hostname === h))) {
    throw new WeComRequestError('forbidden', 'media URL host is not allowed');
  }
  return url;
}

/**
 * A copy of an error (name, code, message, stack, causes) with secrets redacted: a fetch error's
 * message may quote the URL, access_token included.
 */
/**
 * ky clones each request (for its own retries, which we do not use) and, when done, cancels the
 * clone's body. Cancelling one branch of a teed stream settles only once the other branch is
 * consumed or cancelled too, so a fetch that never reads the body (a test double, a fetch that
 * fails early) would hang the call forever. Releasing the unread body here avoids that.
 */
function releasingBody(fetchFn: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const release = () => {
      if (input instanceof Request && !input.bodyUsed && input.body && !input.body.locked) {
        void input.body.cancel().catch(() => {});
      }
    };
    try {
      return await fetchFn(input, init);
    } finally {
      release();
    }
  };
}

function safeCause(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? redact(error) : error;
  const copy = new Error(redact(error.message));
  copy.name = error.name;
  if (error.stack !== undefined) copy.stack = redact(error.stack);
  const extra = copy as Error & { code?: unknown; errors?: unknown[]; cause?: unknown };
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (code !== undefined) extra.code = code;
  if (Array.isArray(errors)) extra.errors = errors.slice(0, 8).map((e) => safeCause(e, depth + 1));
  if (error.cause !== undefined && depth < 4) extra.cause = safeCause(error.cause, depth + 1);
  return copy;
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
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

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw new WeComConfigError(`${name} must be a positive number of milliseconds`);
  return value;
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))
    throw new WeComConfigError(`${name} must be a non-negative number`);
  return value;
}

function codes(value: unknown, name: string): readonly number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v)))
    throw new WeComConfigError(`${name} must be a list of integers`);
  return value;
}

type ResolvedPolicy = Required<Omit<RetryPolicy, 'backoff'>> & { backoff: Required<BackoffOptions> };

function resolvePolicy(p: RetryPolicy = {}): ResolvedPolicy {
  const attempts = p.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    throw new WeComConfigError('retry.attempts must be an integer from 1 to 20');
  }
  const jitter = nonNegative(p.backoff?.jitter ?? 0.2, 'retry.backoff.jitter');
  if (jitter > 1) throw new WeComConfigError('retry.backoff.jitter must be from 0 to 1');
  const factor = nonNegative(p.backoff?.factor ?? 4, 'retry.backoff.factor');
  if (factor < 1) throw new WeComConfigError('retry.backoff.factor must be at least 1');
  return {
    attempts,
    retryErrcodes: codes(p.retryErrcodes ?? [-1, 6000], 'retry.retryErrcodes'),
    retryStatuses: codes(p.retryStatuses ?? [429, 500, 502, 503, 504], 'retry.retryStatuses'),
    maxTotalMs: positive(p.maxTotalMs ?? 15_000, 'retry.maxTotalMs'),
    backoff: {
      baseMs: nonNegative(p.backoff?.baseMs ?? 100, 'retry.backoff.baseMs'),
      factor,
      maxMs: nonNegative(p.backoff?.maxMs ?? 5_000, 'retry.backoff.maxMs'),
      jitter,
    },
  };
}
