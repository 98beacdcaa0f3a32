/** Bot options: the one place where defaults live and config is checked, eagerly, at construction. */
import {
  checkKeys,
  checkObject,
  createDefaultStore,
  type HttpClientOptions,
  INBOUND_OPTION_KEYS,
  type InboundOptions,
  optionalNumber,
  type ResolvedInboundOptions,
  type RetryPolicy,
  resolveInboundOptions,
  type Store,
  WeComConfigError,
} from '@maven/wecom-core';
import { base64Encode } from '@maven/wecom-crypto';
import {
  type BotConnectionOptions,
  type ResolvedWsBotConnection,
  resolveBotConnection,
} from './ws/bot-options.js';

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

/** The bot's options; the ones every inbound endpoint has (store, logger, deadlineMs, …) are `InboundOptions`. */
export interface WeComBotOptions extends InboundOptions {
  /**
   * How callbacks arrive: `{ mode: 'webhook' }` (default, WeCom POSTs to the handler) or
   * `{ mode: 'websocket', botId, secret, url?, WebSocket? }` (the long connection; docs/websocket.md).
   */
  connection?: BotConnectionOptions;
  /** Callback Token from the bot's console page (webhook mode; not needed on the long connection). */
  token?: string;
  /** EncodingAESKey, exactly 43 characters (webhook mode; not needed on the long connection). */
  encodingAESKey?: string;
  /**
   * Expected receiveId in decrypted frames. Default `''`, the AI bot's documented receiveId: a frame
   * whose tail was altered (and re-signed) fails this check. `false` turns the check off (only for
   * a deployment whose frames carry another id; then say which with a string instead).
   * Mismatches are answered 400.
   */
  receiveId?: string | false;
  /** The bot's id. When set, callbacks for another aibotid are refused (400) and keys are scoped by it. */
  aibotId?: string;
  /** Path(s) this bot answers; undefined = any path. */
  path?: string | readonly string[];
  /** Allowed sender userids (trimmed, exact); `'*'` = everyone. Absent = everyone; `[]` = nobody. */
  allowFrom?: readonly string[];
  /**
   * How a callback without a passive reply is acknowledged. 'empty' (default): HTTP 200 with an
   * empty body, WeCom's documented "no reply". 'success': the reference gateway's encrypted envelope
   * whose plaintext is the JSON string `"success"` (quotes included) — a JSON string, not a message.
   */
  ack?: AckMode;
  http?: BotHttpOptions;
  media?: MediaOptions;
  /** Streaming window, counted from the user's message. Default 6 minutes (WeCom's). */
  streamWindowMs?: number;
  /** How long a message's response_url is remembered. Default 1 hour (WeCom's validity). */
  responseUrlTtlMs?: number;
  /** Appended (within the 20480-byte limit) when a reply or stream is cut, e.g. '\n…(truncated)'. */
  truncationMarker?: string;
  /**
   * The AI bot in callback mode can only answer (passive reply or the message's response_url); it
   * has no proactive send. Only `true` is accepted: the flag exists so hosts can read it in config.
   */
  reactiveOnly?: true;
}

export interface ResolvedOptions {
  token: string;
  encodingAESKey: string;
  /** undefined: not checked (`receiveId: false`). */
  receiveId: string | undefined;
  aibotId: string | undefined;
  paths: readonly string[] | undefined;
  store: Store;
  allowFrom: ReadonlySet<string> | undefined;
  ack: AckMode;
  http: HttpClientOptions;
  media: Required<Omit<MediaOptions, 'hosts'>> & { hosts: readonly string[] | undefined };
  streamWindowMs: number;
  responseUrlTtlMs: number;
  truncationMarker: string | undefined;
  /** The options shared with the router (logger redacted, dedup at least 2 × window, …). */
  inbound: ResolvedInboundOptions;
  /** Set in websocket mode. */
  connection: ResolvedWsBotConnection | undefined;
}

const KEYS = [
  ...INBOUND_OPTION_KEYS,
  'connection',
  'token',
  'encodingAESKey',
  'receiveId',
  'aibotId',
  'path',
  'allowFrom',
  'ack',
  'http',
  'media',
  'streamWindowMs',
  'responseUrlTtlMs',
  'truncationMarker',
  'reactiveOnly',
];
const HTTP_KEYS = ['fetch', 'timeoutMs', 'retry'];
const MEDIA_KEYS = ['maxBytes', 'protocols', 'hosts', 'timeoutMs'];

function positive(name: string, value: unknown, fallback: number): number {
  return optionalNumber('WeComBot', name, value, fallback, { min: Number.MIN_VALUE });
}

function stringList(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new WeComConfigError(`WeComBot: ${name} must be an array of strings`);
  }
  return value as string[];
}

export function resolveOptions(options: WeComBotOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new WeComConfigError('WeComBot: options are required');
  checkKeys('WeComBot', options, KEYS);
  const connection = resolveBotConnection(options.connection, options.store !== undefined);
  if (connection && options.token === undefined && options.encodingAESKey === undefined) {
    // No webhook on the long connection: a throwaway key, so the webhook handler refuses every request.
    options = { ...options, token: randomKey(16), encodingAESKey: randomKey(43) };
  }
  if (typeof options.token !== 'string' || options.token.length === 0) {
    throw new WeComConfigError('WeComBot: token must be a non-empty string');
  }
  // The key itself is checked (43 base64 characters, 32 bytes) by the crypto package.
  if (typeof options.encodingAESKey !== 'string')
    throw new WeComConfigError('WeComBot: encodingAESKey must be a string');
  if (
    options.receiveId !== undefined &&
    options.receiveId !== false &&
    typeof options.receiveId !== 'string'
  ) {
    throw new WeComConfigError('WeComBot: receiveId must be a string or false');
  }
  if (options.aibotId !== undefined && (typeof options.aibotId !== 'string' || options.aibotId === '')) {
    throw new WeComConfigError('WeComBot: aibotId must be a non-empty string');
  }
  const inbound = resolveInboundOptions('WeComBot', options, 'wecom-bot');
  let paths: readonly string[] | undefined;
  if (options.path !== undefined) {
    paths = typeof options.path === 'string' ? [options.path] : stringList('path', options.path);
    if (!paths || paths.length === 0 || paths.some((p) => !p.startsWith('/'))) {
      throw new WeComConfigError(
        'WeComBot: path must be a string starting with "/" or a non-empty array of them',
      );
    }
  }
  const allowList = stringList('allowFrom', options.allowFrom);
  const allowFrom =
    allowList === undefined
      ? undefined
      : new Set(allowList.map((id) => id.trim()).filter((id) => id.length > 0));
  const ack = options.ack ?? 'empty';
  if (ack !== 'empty' && ack !== 'success')
    throw new WeComConfigError('WeComBot: ack must be "empty" or "success"');
  if (options.truncationMarker !== undefined && typeof options.truncationMarker !== 'string') {
    throw new WeComConfigError('WeComBot: truncationMarker must be a string');
  }
  if (connection && options.reactiveOnly !== undefined)
    throw new WeComConfigError('WeComBot: reactiveOnly does not apply to the long connection (it can send)');
  if (options.reactiveOnly !== undefined && options.reactiveOnly !== true) {
    throw new WeComConfigError(
      'WeComBot: reactiveOnly must be true: the AI bot callback mode cannot send proactively (use another channel for that)',
    );
  }

  const http = checkObject('WeComBot: http', options.http ?? {}) as BotHttpOptions;
  checkKeys('http', http, HTTP_KEYS);
  if (http.fetch !== undefined && typeof http.fetch !== 'function') {
    throw new WeComConfigError('WeComBot: http.fetch must be a function');
  }
  const httpOptions: HttpClientOptions = { timeoutMs: positive('http.timeoutMs', http.timeoutMs, 10_000) };
  if (http.fetch) httpOptions.fetch = http.fetch;
  if (http.retry !== undefined) {
    if (typeof http.retry !== 'object' || http.retry === null)
      throw new WeComConfigError('WeComBot: http.retry must be an object');
    httpOptions.retry = http.retry;
  }

  const media = checkObject('WeComBot: media', options.media ?? {}) as MediaOptions;
  checkKeys('media', media, MEDIA_KEYS);
  const protocols = stringList('media.protocols', media.protocols) ?? ['https:'];
  if (protocols.length === 0 || protocols.some((p) => !/^[a-z][a-z0-9+.-]*:$/.test(p))) {
    throw new WeComConfigError('WeComBot: media.protocols must list protocols like "https:"');
  }
  const hosts = stringList('media.hosts', media.hosts);

  return {
    token: options.token,
    encodingAESKey: options.encodingAESKey,
    connection,
    receiveId: options.receiveId === false ? undefined : (options.receiveId ?? ''),
    aibotId: options.aibotId,
    paths,
    store:
      inbound.store ??
      createDefaultStore({ logger: inbound.logger, ...(options.now ? { now: inbound.now } : {}) }),
    allowFrom,
    ack,
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
    inbound,
  };
}

function randomKey(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return base64Encode(bytes)
    .replace(/[^A-Za-z0-9]/g, 'A')
    .slice(0, length);
}
