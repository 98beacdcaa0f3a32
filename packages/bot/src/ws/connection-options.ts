/** Options of `WsConnection`, checked once at construction, and the reconnect delay. */
import {
  checkKeys,
  type Logger,
  optionalFunction,
  optionalNumber,
  redactingLogger,
  registerSecret,
  requireString,
  silentLogger,
  WeComConfigError,
} from '@maven/wecom-core';
import { WS_DEFAULT_URL } from './frames.js';
import { resolveWebSocket, type WebSocketConstructor } from './socket.js';

export interface WsBackoffOptions {
  /** First delay, ms. Default 1000. */
  baseMs?: number;
  /** Cap of the doubling delay, ms. Default 30 000. */
  maxMs?: number;
  /** Fraction of the delay taken off at random (0..1), so replicas do not retry in step. Default 0.5. */
  jitter?: number;
  /** Transport losses in a row before the connection stops (`reconnect_exhausted`). Default Infinity. */
  maxAttempts?: number;
}

export interface WsConnectionOptions {
  /** The BotID of the bot's long-connection page. */
  botId: string;
  /** The long-connection Secret (not the webhook Token/EncodingAESKey). Never logged. */
  secret: string;
  /** Default `wss://openws.work.weixin.qq.com`. */
  url?: string;
  /** A WebSocket constructor; default the runtime's global one (Node 20: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  logger?: Logger;
  /** Clock in ms, for the half-alive bound. Default `Date.now`. */
  now?: () => number;
  /** Application heartbeat (`ping`) period, ms. Default 30 000 (WeCom's recommendation). */
  heartbeatIntervalMs?: number;
  /**
   * A subscribed socket that delivered no frame at all (no callback, no answer to a ping) for this
   * long is half-alive: it is dropped and replaced. Default 2.5 × heartbeatIntervalMs.
   */
  deadAfterMs?: number;
  /** Time WeCom gets to answer one frame, ms. Default 5000. */
  ackTimeoutMs?: number;
  /** Time from opening the socket to the subscribe answer, ms. Default 10 000. */
  connectTimeoutMs?: number;
  reconnect?: WsBackoffOptions;
  /** Least delay before subscribing again after WeCom said 45009 (too frequent), ms. Default 60 000. */
  rateLimitedDelayMs?: number;
  /** Subscribe failures in a row (other than a wrong secret) before stopping. Default 5. */
  maxSubscribeFailures?: number;
  /** Frames queued per req_id (one stream's snapshots). Default 500. */
  maxQueuedPerReqId?: number;
  /** Sent in the subscribe body when set (WeCom's own clients send `scene`, `plug_version`). */
  scene?: number;
  plugVersion?: string;
  /** Random source in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
}

export interface ResolvedWsOptions {
  botId: string;
  secret: string;
  url: string;
  WebSocket: WebSocketConstructor;
  logger: Logger;
  now: () => number;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  ackTimeoutMs: number;
  connectTimeoutMs: number;
  backoff: Required<WsBackoffOptions>;
  rateLimitedDelayMs: number;
  maxSubscribeFailures: number;
  maxQueuedPerReqId: number;
  scene: number | undefined;
  plugVersion: string | undefined;
  random: () => number;
}

/** The option names of `WsConnection`. */
export const CONNECTION_KEYS = [
  'botId',
  'secret',
  'url',
  'WebSocket',
  'logger',
  'now',
  'heartbeatIntervalMs',
  'deadAfterMs',
  'ackTimeoutMs',
  'connectTimeoutMs',
  'reconnect',
  'rateLimitedDelayMs',
  'maxSubscribeFailures',
  'maxQueuedPerReqId',
  'scene',
  'plugVersion',
  'random',
] as const;

const W = 'WsConnection';

export function resolveWsOptions(options: WsConnectionOptions): ResolvedWsOptions {
  checkKeys(W, options, CONNECTION_KEYS);
  const botId = requireString(W, 'botId', options.botId);
  const secret = requireString(W, 'secret', options.secret);
  registerSecret(secret);
  const url = options.url ?? WS_DEFAULT_URL;
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url))
    throw new WeComConfigError(`${W}: url must be a ws:// or wss:// URL`);
  const heartbeatIntervalMs = optionalNumber(W, 'heartbeatIntervalMs', options.heartbeatIntervalMs, 30_000, {
    min: 1,
  });
  const reconnect = options.reconnect ?? {};
  checkKeys(`${W}.reconnect`, reconnect, ['baseMs', 'maxMs', 'jitter', 'maxAttempts']);
  const baseMs = optionalNumber(W, 'reconnect.baseMs', reconnect.baseMs, 1000, { min: 1 });
  const backoff = {
    baseMs,
    maxMs: optionalNumber(W, 'reconnect.maxMs', reconnect.maxMs, 30_000, { min: baseMs }),
    jitter: optionalNumber(W, 'reconnect.jitter', reconnect.jitter, 0.5, { min: 0, max: 1 }),
    maxAttempts: optionalNumber(W, 'reconnect.maxAttempts', reconnect.maxAttempts, Number.POSITIVE_INFINITY, {
      min: 1,
    }),
  };
  if (options.plugVersion !== undefined && typeof options.plugVersion !== 'string')
    throw new WeComConfigError(`${W}: plugVersion must be a string`);
  return {
    botId,
    secret,
    url,
    WebSocket: resolveWebSocket(options.WebSocket),
    logger: redactingLogger(options.logger ?? silentLogger),
    now: optionalFunction<() => number>(W, 'now', options.now) ?? Date.now,
    heartbeatIntervalMs,
    deadAfterMs: optionalNumber(W, 'deadAfterMs', options.deadAfterMs, heartbeatIntervalMs * 2.5, {
      min: heartbeatIntervalMs,
    }),
    ackTimeoutMs: optionalNumber(W, 'ackTimeoutMs', options.ackTimeoutMs, 5000, { min: 1 }),
    connectTimeoutMs: optionalNumber(W, 'connectTimeoutMs', options.connectTimeoutMs, 10_000, { min: 1 }),
    backoff,
    rateLimitedDelayMs: optionalNumber(W, 'rateLimitedDelayMs', options.rateLimitedDelayMs, 60_000, {
      min: 0,
    }),
    maxSubscribeFailures: optionalNumber(W, 'maxSubscribeFailures', options.maxSubscribeFailures, 5, {
      min: 1,
      integer: true,
    }),
    maxQueuedPerReqId: optionalNumber(W, 'maxQueuedPerReqId', options.maxQueuedPerReqId, 500, {
      min: 1,
      integer: true,
    }),
    scene:
      options.scene === undefined
        ? undefined
        : optionalNumber(W, 'scene', options.scene, 0, { min: 0, integer: true }),
    plugVersion: options.plugVersion,
    random: optionalFunction<() => number>(W, 'random', options.random) ?? Math.random,
  };
}

/** Capped exponential delay for the `attempt`-th retry (1-based), minus up to `jitter` of it. */
export function backoffDelay(
  attempt: number,
  backoff: Required<WsBackoffOptions>,
  random: () => number,
): number {
  const capped = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(capped * (1 - backoff.jitter * random()));
}
