/** Bot options: the one place where defaults live and config is checked, eagerly, at construction. */
import {
  createConsoleLogger,
  createDefaultStore,
  type HttpClientOptions,
  type Logger,
  type RetryPolicy,
  type Store,
  WeComConfigError,
} from '@maven/wecom-core';

export interface MediaOptions {
  /** Largest download, checked on Content-Length and while streaming. Default 10 MiB. */
  maxBytes?: number;
  /** Allowed URL protocols. Default `['https:']` (WeCom's CDN is https; http is an SSRF and MITM risk). */
  protocols?: readonly string[];
  /** When set, only these hosts: exact names, or suffixes starting with '.' (e.g. '.myqcloud.com'). */
  hosts?: readonly string[];
  /** Per-download timeout. Default 15 s. */
  timeoutMs?: number;
}

export interface BotHttpOptions {
  /** Injectable fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  /** Per-attempt timeout of a response_url POST. Default 10 s. */
  timeoutMs?: number;
  /** Retries of response_url POSTs. Default 3 attempts, 100 ms then 400 ms, on errcode -1/6000 and HTTP 429/5xx. */
  retry?: RetryPolicy;
}

export type AckMode = 'empty' | 'success';

export interface WeComBotOptions {
  /** Callback Token from the bot's console page. */
  token: string;
  /** EncodingAESKey, exactly 43 characters. */
  encodingAESKey: string;
  /**
   * Expected receiveId in decrypted frames. Undefined: not enforced (what was found is logged at
   * debug). Any string, '' included, is enforced; mismatches are answered 400.
   */
  receiveId?: string;
  /** The bot's id. When set, callbacks for another aibotid are refused (400) and keys are scoped by it. */
  aibotId?: string;
  /** Path(s) this bot answers; undefined = any path. */
  path?: string | readonly string[];
  /** Shared state (dedup, streams, response_url bookkeeping). Default: a bounded in-process MemoryStore. */
  store?: Store;
  /** Allowed sender userids (trimmed, exact). Empty or absent = everyone. Checked before dedup. */
  allowFrom?: readonly string[];
  /**
   * How long a msgid is remembered for dedup. Default 300 000 ms; never less than 2 ×
   * `timestampWindow` (dedup is also the replay check of messages with a msgid).
   */
  dedupTtlMs?: number;
  /** Time the listeners get before the callback is answered; must be below WeCom's 5 s. Default 4000. */
  deadlineMs?: number;
  /**
   * How a callback without a passive reply is acknowledged. 'empty' (default): HTTP 200 with an
   * empty body, WeCom's documented "no reply". 'success': the reference gateway's encrypted envelope
   * whose plaintext is the JSON string `"success"` (quotes included) — a JSON string, not a message.
   */
  ack?: AckMode;
  /** Largest callback body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Most callbacks processed at once; beyond it 503 and WeCom retries. Default 512. */
  maxConcurrent?: number;
  http?: BotHttpOptions;
  media?: MediaOptions;
  /** Streaming window, counted from the user's message. Default 6 minutes (WeCom's). */
  streamWindowMs?: number;
  /** How long a message's response_url is remembered. Default 1 hour (WeCom's validity). */
  responseUrlTtlMs?: number;
  /** Appended (within the 20480-byte limit) when a reply or stream is cut, e.g. '\n…(truncated)'. */
  truncationMarker?: string;
  /** Logger; everything it receives is redacted. Default: console, level warn. */
  logger?: Logger;
  /** Allowed clock skew of callback timestamps in seconds, or false. Default 300. */
  timestampWindow?: number | false;
  /**
   * The AI bot in callback mode can only answer (passive reply or the message's response_url); it
   * has no proactive send. Only `true` is accepted: the flag exists so hosts can read it in config.
   */
  reactiveOnly?: true;
  /** Clock in ms, for tests (stream window, timestamps, TTL bookkeeping). Default `Date.now`. */
  now?: () => number;
}

export interface ResolvedOptions {
  token: string;
  encodingAESKey: string;
  receiveId: string | undefined;
  aibotId: string | undefined;
  paths: readonly string[] | undefined;
  store: Store;
  allowFrom: ReadonlySet<string>;
  dedupTtlMs: number;
  deadlineMs: number;
  ack: AckMode;
  maxBodyBytes: number;
  maxConcurrent: number;
  http: HttpClientOptions;
  media: Required<Omit<MediaOptions, 'hosts'>> & { hosts: readonly string[] | undefined };
  streamWindowMs: number;
  responseUrlTtlMs: number;
  truncationMarker: string | undefined;
  logger: Logger | undefined;
  timestampWindow: number | false;
  now: () => number;
}

const KEYS = new Set([
  'token',
  'encodingAESKey',
  'receiveId',
  'aibotId',
  'path',
  'store',
  'allowFrom',
  'dedupTtlMs',
  'deadlineMs',
  'ack',
  'maxBodyBytes',
  'maxConcurrent',
  'http',
  'media',
  'streamWindowMs',
  'responseUrlTtlMs',
  'truncationMarker',
  'logger',
  'timestampWindow',
  'reactiveOnly',
  'now',
]);
const HTTP_KEYS = new Set(['fetch', 'timeoutMs', 'retry']);
const MEDIA_KEYS = new Set(['maxBytes', 'protocols', 'hosts', 'timeoutMs']);

function refuseUnknown(where: string, value: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new WeComConfigError(`${where}: unknown option "${key}"`);
  }
}

function positive(name: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new WeComConfigError(
      `${name} must be a positive number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`,
    );
  }
  return value;
}

function stringList(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new WeComConfigError(`${name} must be an array of strings`);
  }
  return value as string[];
}

function isLogger(value: unknown): value is Logger {
  const l = value as Record<string, unknown> | null;
  return (
    typeof l === 'object' &&
    l !== null &&
    ['debug', 'info', 'warn', 'error'].every((m) => typeof l[m] === 'function')
  );
}

function isStore(value: unknown): value is Store {
  const s = value as Record<string, unknown> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    ['get', 'set', 'setIfAbsent', 'compareAndSet', 'delete', 'compareAndDelete'].every(
      (m) => typeof s[m] === 'function',
    )
  );
}

export function resolveOptions(options: WeComBotOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new WeComConfigError('WeComBot: options are required');
  refuseUnknown('WeComBot', options, KEYS);
  if (typeof options.token !== 'string' || options.token.length === 0) {
    throw new WeComConfigError('token must be a non-empty string');
  }
  // The key itself is checked (43 base64 characters, 32 bytes) by the crypto package.
  if (typeof options.encodingAESKey !== 'string')
    throw new WeComConfigError('encodingAESKey must be a string');
  if (options.receiveId !== undefined && typeof options.receiveId !== 'string') {
    throw new WeComConfigError('receiveId must be a string');
  }
  if (options.aibotId !== undefined && (typeof options.aibotId !== 'string' || options.aibotId === '')) {
    throw new WeComConfigError('aibotId must be a non-empty string');
  }
  let paths: readonly string[] | undefined;
  if (options.path !== undefined) {
    paths = typeof options.path === 'string' ? [options.path] : stringList('path', options.path);
    if (!paths || paths.length === 0 || paths.some((p) => !p.startsWith('/'))) {
      throw new WeComConfigError('path must be a string starting with "/" or a non-empty array of them');
    }
  }
  if (options.store !== undefined && !isStore(options.store)) {
    throw new WeComConfigError('store must implement the Store interface');
  }
  const allowFrom = new Set(
    (stringList('allowFrom', options.allowFrom) ?? []).map((id) => id.trim()).filter((id) => id.length > 0),
  );
  const ack = options.ack ?? 'empty';
  if (ack !== 'empty' && ack !== 'success') throw new WeComConfigError('ack must be "empty" or "success"');
  const deadlineMs = positive('deadlineMs', options.deadlineMs, 4000);
  if (deadlineMs >= 5000) {
    throw new WeComConfigError('deadlineMs must be below 5000 (WeCom drops the connection after 5 s)');
  }
  if (options.maxConcurrent !== undefined && !Number.isInteger(options.maxConcurrent)) {
    throw new WeComConfigError('maxConcurrent must be an integer');
  }
  if (options.truncationMarker !== undefined && typeof options.truncationMarker !== 'string') {
    throw new WeComConfigError('truncationMarker must be a string');
  }
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new WeComConfigError('logger must have debug, info, warn and error methods');
  }
  const window = options.timestampWindow ?? 300;
  if (window !== false && !(typeof window === 'number' && window > 0 && Number.isFinite(window))) {
    throw new WeComConfigError('timestampWindow must be a positive number of seconds or false');
  }
  if (options.reactiveOnly !== undefined && options.reactiveOnly !== true) {
    throw new WeComConfigError(
      'reactiveOnly must be true: the AI bot callback mode cannot send proactively (use another channel for that)',
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new WeComConfigError('now must be a function');
  }

  const http = options.http ?? {};
  if (typeof http !== 'object' || http === null) throw new WeComConfigError('http must be an object');
  refuseUnknown('http', http, HTTP_KEYS);
  if (http.fetch !== undefined && typeof http.fetch !== 'function') {
    throw new WeComConfigError('http.fetch must be a function');
  }
  const httpOptions: HttpClientOptions = { timeoutMs: positive('http.timeoutMs', http.timeoutMs, 10_000) };
  if (http.fetch) httpOptions.fetch = http.fetch;
  if (http.retry !== undefined) {
    if (typeof http.retry !== 'object' || http.retry === null)
      throw new WeComConfigError('http.retry must be an object');
    httpOptions.retry = http.retry;
  }

  const media = options.media ?? {};
  if (typeof media !== 'object' || media === null) throw new WeComConfigError('media must be an object');
  refuseUnknown('media', media, MEDIA_KEYS);
  const protocols = stringList('media.protocols', media.protocols) ?? ['https:'];
  if (protocols.length === 0 || protocols.some((p) => !/^[a-z][a-z0-9+.-]*:$/.test(p))) {
    throw new WeComConfigError('media.protocols must list protocols like "https:"');
  }
  const hosts = stringList('media.hosts', media.hosts);

  return {
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    receiveId: options.receiveId,
    aibotId: options.aibotId,
    paths,
    store:
      options.store ??
      createDefaultStore({
        logger: options.logger ?? createConsoleLogger({ level: 'warn', name: 'wecom-bot' }),
        ...(options.now ? { now: options.now } : {}),
      }),
    allowFrom,
    dedupTtlMs: positive('dedupTtlMs', options.dedupTtlMs, 300_000),
    deadlineMs,
    ack,
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, 1024 * 1024),
    maxConcurrent: positive('maxConcurrent', options.maxConcurrent, 512),
    http: httpOptions,
    media: {
      maxBytes: positive('media.maxBytes', media.maxBytes, 10 * 1024 * 1024),
      protocols,
      hosts,
      timeoutMs: positive('media.timeoutMs', media.timeoutMs, 15_000),
    },
    streamWindowMs: positive('streamWindowMs', options.streamWindowMs, 6 * 60_000),
    responseUrlTtlMs: positive('responseUrlTtlMs', options.responseUrlTtlMs, 3600_000),
    truncationMarker: options.truncationMarker,
    logger: options.logger,
    timestampWindow: window,
    now: options.now ?? Date.now,
  };
}
