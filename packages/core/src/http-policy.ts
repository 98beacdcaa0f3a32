/**
 * What ky cannot know about WeCom, small and named: the retry policy's shape and defaults, the wait
 * before a retry, the maybe-delivered rule, and the mapping of every failure into the error family
 * with secrets redacted.
 */
import { isForceRetryError, isHTTPError, isTimeoutError } from 'ky';
import {
  redact,
  WeComConfigError,
  WeComError,
  WeComHttpError,
  WeComNetworkError,
  WeComTimeoutError,
} from './errors.js';

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

export type ResolvedPolicy = Required<Omit<RetryPolicy, 'backoff'>> & { backoff: Required<BackoffOptions> };

/** A Retry-After longer than this is waited only this long. */
export const MAX_RETRY_AFTER_MS = 60_000;

export function resolvePolicy(p: RetryPolicy = {}): ResolvedPolicy {
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

/** A per-call policy over the client's, backoff merged key by key. */
export function mergePolicy(base: RetryPolicy, override: RetryPolicy): ResolvedPolicy {
  return resolvePolicy({ ...base, ...override, backoff: { ...base.backoff, ...override.backoff } });
}

/**
 * The wait before retry number `retryCount` (1 for the first): the server's Retry-After when it
 * sent one (capped at MAX_RETRY_AFTER_MS), else exponential backoff with ± jitter.
 */
export function retryWait(
  error: unknown,
  retryCount: number,
  b: Required<BackoffOptions>,
  random: () => number,
): number {
  if (isHTTPError(error)) {
    const after = retryAfterMs(error.response.headers.get('retry-after'));
    if (after !== undefined) return after;
  }
  const nominal = Math.min(b.maxMs, b.baseMs * b.factor ** (retryCount - 1));
  return Math.max(0, Math.round(nominal + nominal * b.jitter * (random() * 2 - 1)));
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
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

/** What one exchange knows when it fails: enough to name the failure and apply the maybe-delivered rule. */
export interface ExchangeState {
  path: string;
  /** The per-attempt timeout. */
  timeoutMs: number;
  /** The cap on the whole exchange (the call's maxTotalMs, or the download's timeout). */
  totalMs: number;
  /** True once response headers arrived: a failure after that may follow a delivered request. */
  responded: boolean;
  caller: AbortSignal | undefined;
  deadline: AbortSignal;
}

/**
 * The maybe-delivered rule: a request that failed on the network may have reached WeCom unless the
 * failure certainly came before sending, and one whose headers arrived certainly did.
 */
export function maybeDelivered(error: unknown, state: ExchangeState): boolean {
  return state.responded || !failedBeforeSend(error);
}

/**
 * Maps any failure of an exchange into the error family: errors of the family pass through (also
 * when a forced retry carried one), ky's HTTPError and TimeoutError become ours, the total cap is a
 * timeout, the caller's abort and network errors are WeComNetworkError. Causes are redacted copies.
 */
export function toWeComError(error: unknown, state: ExchangeState): WeComError {
  if (error instanceof WeComError) return error;
  if (isForceRetryError(error) && error.cause instanceof WeComError) return error.cause;
  if (isHTTPError(error)) {
    void error.response.body?.cancel().catch(() => {});
    return new WeComHttpError(error.response.status, state.path);
  }
  const cause = safeCause(error);
  if (isTimeoutError(error)) return new WeComTimeoutError(state.path, state.timeoutMs, true, { cause });
  if (state.caller?.aborted) return new WeComNetworkError(state.path, true, { cause });
  if (state.deadline.aborted) return new WeComTimeoutError(state.path, state.totalMs, true, { cause });
  return new WeComNetworkError(state.path, maybeDelivered(error, state), { cause });
}

/**
 * A copy of an error (name, code, message, stack, causes) with secrets redacted: a fetch error's
 * message may quote the URL, access_token included.
 */
export function safeCause(error: unknown, depth = 0): unknown {
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

export function positive(value: unknown, name: string): number {
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
