/** WeCom errcodes this package treats specially, and the bounded back-off for rate limits. */
import { checkKeys, optionalNumber } from '@maven/wecom-core';

/** The access token is invalid, expired or missing: evict (if it is still the cached one), refresh, resend once. */
export const TOKEN_ERRCODES: readonly number[] = [40014, 42001, 41001];
/** Frequency or concurrency limits: back off, bounded. */
export const RATE_LIMIT_ERRCODES: readonly number[] = [45009, 45033];
/**
 * "invalid credential": from gettoken a configuration error; from any other API WeCom also uses it
 * for an access token it invalidated early, so a token that came from the cache gets the same one
 * refresh and one resend as TOKEN_ERRCODES (a freshly fetched one is not retried).
 */
export const INVALID_CREDENTIAL = 40001;
/** gettoken answers meaning the configuration is wrong: surfaced at once, never retried. */
export const CONFIG_ERRCODES: readonly number[] = [40001, 40013, 40091, 41002, 41004];

export interface RateLimitRetryOptions {
  /** Total attempts including the first. Default 3. */
  attempts?: number;
  /** First wait. Default 1000 ms; doubles per attempt. */
  baseMs?: number;
  /** Longest wait. Default 10 s. */
  maxMs?: number;
  /** No retry starts once this much time has gone by since the first attempt. Default 30 s. */
  totalMs?: number;
}

export interface RateLimitRetry {
  attempts: number;
  baseMs: number;
  maxMs: number;
  totalMs: number;
}

export function resolveRateLimit(where: string, options: RateLimitRetryOptions = {}): RateLimitRetry {
  checkKeys(where, options, ['attempts', 'baseMs', 'maxMs', 'totalMs']);
  return {
    attempts: optionalNumber(where, 'attempts', options.attempts, 3, { min: 1, max: 10, integer: true }),
    baseMs: optionalNumber(where, 'baseMs', options.baseMs, 1000, { min: 0, max: 60_000 }),
    maxMs: optionalNumber(where, 'maxMs', options.maxMs, 10_000, { min: 0, max: 120_000 }),
    totalMs: optionalNumber(where, 'totalMs', options.totalMs, 30_000, { min: 0, max: 600_000 }),
  };
}

/**
 * The wait before retry number `attempt` (1-based), or undefined when no retry may start: the
 * attempts are used up, or the wait would end past `totalMs` after `startedAt`.
 */
export function nextRateLimitWait(
  attempt: number,
  policy: RateLimitRetry,
  startedAt: number,
  now: number,
): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  const wait = rateLimitDelay(attempt, policy);
  return now + wait - startedAt > policy.totalMs ? undefined : wait;
}

/** The wait before retry number `attempt` (1-based). */
export function rateLimitDelay(attempt: number, policy: RateLimitRetry): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles with `task`, or rejects as soon as `signal` aborts (the task itself keeps running). */
export function untilAborted<T>(task: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return task;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    task.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
