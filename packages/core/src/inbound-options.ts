/**
 * The options every inbound endpoint (the bot, the router) shares: names, defaults and checks live
 * here once (docs/vocabulary.md).
 */
import { WeComConfigError } from './errors.js';
import { DEFAULT_BODY_TIMEOUT_MS } from './handler.js';
import { createConsoleLogger, type Logger, redactingLogger } from './logger.js';
import { optionalFunction, optionalNumber } from './options.js';
import type { Store } from './store.js';

export interface InboundOptions {
  /** Shared state (dedup, replay marks, streams, tokens). Default: a bounded in-process MemoryStore. */
  store?: Store;
  /** Everything it receives is redacted. Default: the console, at warn. */
  logger?: Logger;
  /** Time the listeners get before the callback is answered (WeCom waits 5 s). Default 4000; 0 answers at once. */
  deadlineMs?: number;
  /** Largest callback body; 413 above it, before any crypto work. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Callbacks processed at once, body reading included; beyond it 503 and WeCom retries. Default 512. */
  maxConcurrent?: number;
  /** Time a body may take to arrive in full; then 408. Default 10 s. */
  bodyTimeoutMs?: number;
  /** How long a msgId is remembered. Default 300 000 ms; never less than 2 × `timestampWindow`. */
  dedupTtlMs?: number;
  /** Largest accepted clock skew of a signed callback, in seconds, or false. Default 300. */
  timestampWindow?: number | false;
  /** Clock in ms, for tests. Default `Date.now`. */
  now?: () => number;
}

export const INBOUND_OPTION_KEYS = [
  'store',
  'logger',
  'deadlineMs',
  'maxBodyBytes',
  'maxConcurrent',
  'bodyTimeoutMs',
  'dedupTtlMs',
  'timestampWindow',
  'now',
] as const;

export interface ResolvedInboundOptions {
  /** Undefined: the caller makes the default store (it knows its own logger name). */
  store: Store | undefined;
  logger: Logger;
  deadlineMs: number;
  maxBodyBytes: number;
  maxConcurrent: number;
  bodyTimeoutMs: number;
  /** At least 2 × the timestamp window: dedup is also the replay check of callbacks with a msgId. */
  dedupTtlMs: number;
  /** How long the mark of a signed request is kept (the span in which its timestamp is accepted). */
  replayTtlMs: number;
  timestampWindow: number | false;
  now: () => number;
}

/** One default for one concept: the same in the bot and the router. */
export const INBOUND_DEFAULTS = Object.freeze({
  deadlineMs: 4000,
  // The largest callback WeCom sends (a mixed message, a card event) is a few KiB encrypted; 64 KiB
  // leaves ten times that and keeps 512 concurrent bodies within 32 MiB.
  maxBodyBytes: 64 * 1024,
  maxConcurrent: 512,
  bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
  dedupTtlMs: 300_000,
  timestampWindow: 300,
});

export function isLogger(value: unknown): value is Logger {
  const l = value as Record<string, unknown> | null;
  return (
    typeof l === 'object' &&
    l !== null &&
    ['debug', 'info', 'warn', 'error'].every((m) => typeof l[m] === 'function')
  );
}

export function isStore(value: unknown): value is Store {
  const s = value as Record<string, unknown> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    ['get', 'set', 'setIfAbsent', 'compareAndSet', 'delete', 'compareAndDelete'].every(
      (m) => typeof s[m] === 'function',
    )
  );
}

/** Checks and defaults the shared options; `name` labels the default console logger. */
export function resolveInboundOptions(
  where: string,
  options: InboundOptions,
  name: string,
): ResolvedInboundOptions {
  if (options.store !== undefined && !isStore(options.store)) {
    throw new WeComConfigError(`${where}: store must implement the Store interface`);
  }
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new WeComConfigError(`${where}: logger must have debug, info, warn and error methods`);
  }
  const deadlineMs = optionalNumber(where, 'deadlineMs', options.deadlineMs, INBOUND_DEFAULTS.deadlineMs, {
    min: 0,
    max: 4999,
  });
  const window = options.timestampWindow ?? INBOUND_DEFAULTS.timestampWindow;
  if (window !== false && !(typeof window === 'number' && window > 0 && Number.isFinite(window))) {
    throw new WeComConfigError(`${where}: timestampWindow must be a positive number of seconds or false`);
  }
  const dedupTtlMs = optionalNumber(where, 'dedupTtlMs', options.dedupTtlMs, INBOUND_DEFAULTS.dedupTtlMs, {
    min: 1000,
    max: 7 * 24 * 3600_000,
  });
  return {
    store: options.store,
    logger: redactingLogger(options.logger ?? createConsoleLogger({ level: 'warn', name })),
    deadlineMs,
    maxBodyBytes: optionalNumber(where, 'maxBodyBytes', options.maxBodyBytes, INBOUND_DEFAULTS.maxBodyBytes, {
      min: 1024,
      max: 16 * 1024 * 1024,
      integer: true,
    }),
    maxConcurrent: optionalNumber(
      where,
      'maxConcurrent',
      options.maxConcurrent,
      INBOUND_DEFAULTS.maxConcurrent,
      { min: 1, integer: true },
    ),
    bodyTimeoutMs: optionalNumber(
      where,
      'bodyTimeoutMs',
      options.bodyTimeoutMs,
      INBOUND_DEFAULTS.bodyTimeoutMs,
      { min: 1 },
    ),
    dedupTtlMs: window === false ? dedupTtlMs : Math.max(dedupTtlMs, window * 2000),
    replayTtlMs: window === false ? dedupTtlMs : window * 2000,
    timestampWindow: window,
    now: optionalFunction<() => number>(where, 'now', options.now) ?? Date.now,
  };
}
