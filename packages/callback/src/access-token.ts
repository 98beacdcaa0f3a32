/**
 * One app's access token (docs/protocol.md §4.5): gettoken behind the shared CredentialCache (Store
 * record, early refresh, single flight, fenced cross-process lock; see credential-cache.ts).
 *
 * - gettoken configuration errors (40001, 40013, 40091…) are thrown at once and remembered for a
 *   short cooldown instead of being retried; rate limits back off, bounded.
 */
import {
  checkKeys,
  HttpClient,
  type HttpClientOptions,
  type Logger,
  MemoryStore,
  optionalFunction,
  optionalNumber,
  registerSecret,
  requireString,
  type Store,
  silentLogger,
  WeComApiError,
  WeComConfigError,
} from '@maven/wecom-core';
import { CredentialCache, type CredentialTiming, type FetchedCredential } from './credential-cache.js';
import {
  CONFIG_ERRCODES,
  RATE_LIMIT_ERRCODES,
  type RateLimitRetry,
  type RateLimitRetryOptions,
  rateLimitDelay,
  resolveRateLimit,
  sleep,
} from './errcodes.js';

export interface AccessTokenCacheOptions {
  corpId: string;
  corpSecret: string;
  /** Identifies the app in the Store key (`corpId:agentId`). Give `agentId` or `key`. */
  agentId?: number | string;
  /** Store key suffix, for secrets that are not an app's (e.g. the contacts secret). */
  key?: string;
  /** A shared HttpClient, or options for a new one (baseUrl for private deployments and tests). */
  http?: HttpClient | HttpClientOptions;
  /** Default: a new MemoryStore (not shared between processes). */
  store?: Store;
  /** Refresh this long before expiry. Default 300 s; at least 60 s. */
  refreshMarginMs?: number;
  /** Lifetime of the cross-process refresh lock. Default 10 s. */
  lockTtlMs?: number;
  /** Longest wait for another process's refresh. Default 15 s. */
  lockWaitMs?: number;
  /** Store polling interval while waiting. Default 50 ms. */
  pollIntervalMs?: number;
  /** How long a gettoken configuration error is remembered (no new gettoken meanwhile). Default 30 s. */
  configErrorCooldownMs?: number;
  rateLimitRetry?: RateLimitRetryOptions;
  now?: () => number;
  logger?: Logger;
}

interface GetTokenResult {
  errcode?: number;
  errmsg?: string;
  access_token?: unknown;
  expires_in?: unknown;
  [key: string]: unknown;
}

const KEYS = [
  'corpId',
  'corpSecret',
  'agentId',
  'key',
  'http',
  'store',
  'refreshMarginMs',
  'lockTtlMs',
  'lockWaitMs',
  'pollIntervalMs',
  'configErrorCooldownMs',
  'rateLimitRetry',
  'now',
  'logger',
] as const;

export class AccessTokenCache {
  readonly corpId: string;
  /** The Store key of the token record. */
  readonly storeKey: string;
  readonly #secret: string;
  readonly #http: HttpClient;
  readonly #cache: CredentialCache;
  readonly #cooldown: number;
  readonly #rateLimit: RateLimitRetry;
  readonly #now: () => number;
  readonly #logger: Logger;
  #configError: { error: WeComApiError; until: number } | undefined;
  #fetches = 0;

  constructor(options: AccessTokenCacheOptions) {
    const where = 'AccessTokenCache';
    checkKeys(where, options, KEYS);
    this.corpId = requireString(where, 'corpId', options.corpId);
    this.#secret = requireString(where, 'corpSecret', options.corpSecret);
    registerSecret(this.#secret);
    let suffix: string;
    if (options.key !== undefined) suffix = requireString(where, 'key', options.key);
    else if (options.agentId !== undefined && /^\d+$/.test(String(options.agentId)))
      suffix = `${this.corpId}:${options.agentId}`;
    else throw new WeComConfigError(`${where}: give agentId (an integer) or key`);
    this.#http = options.http instanceof HttpClient ? options.http : new HttpClient(options.http ?? {});
    this.#cooldown = optionalNumber(where, 'configErrorCooldownMs', options.configErrorCooldownMs, 30_000, {
      min: 0,
      max: 3_600_000,
    });
    this.#rateLimit = resolveRateLimit(`${where}: rateLimitRetry`, options.rateLimitRetry);
    this.#now = optionalFunction<() => number>(where, 'now', options.now) ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
    this.#cache = new CredentialCache({
      ...resolveTiming(where, options),
      label: 'access token',
      prefix: 'token',
      key: suffix,
      store: options.store ?? new MemoryStore({ maxEntries: 1000 }),
      now: this.#now,
      logger: this.#logger,
      fields: { corpId: this.corpId },
      fetch: () => this.#fetch(),
    });
    this.storeKey = this.#cache.storeKey;
  }

  /** How many gettoken calls this instance made (for health pages and tests). */
  get fetchCount(): number {
    return this.#fetches;
  }

  /** A valid token: from memory, the Store, or one shared refresh. */
  async get(): Promise<string> {
    if (this.#configError !== undefined) {
      if (this.#now() < this.#configError.until) throw this.#configError.error;
      this.#configError = undefined;
    }
    return this.#cache.get();
  }

  /**
   * Evicts `token` from memory and from the Store, but only where it is still the cached token
   * (a caller holding an old token must not evict a newer one). True when something was evicted.
   */
  invalidate(token: string): Promise<boolean> {
    return this.#cache.invalidate(token);
  }

  toJSON(): Record<string, unknown> {
    return { corpId: this.corpId, storeKey: this.storeKey, corpSecret: '[redacted]' };
  }

  async #fetch(): Promise<FetchedCredential> {
    for (let attempt = 1; ; attempt++) {
      this.#fetches++;
      let result: GetTokenResult;
      try {
        result = await this.#http.call<GetTokenResult>('/cgi-bin/gettoken', {
          method: 'GET',
          query: { corpid: this.corpId, corpsecret: this.#secret },
          idempotent: true,
          passErrcodes: RATE_LIMIT_ERRCODES,
        });
      } catch (error) {
        if (error instanceof WeComApiError && CONFIG_ERRCODES.includes(error.errcode)) {
          this.#configError = { error, until: this.#now() + this.#cooldown };
          this.#logger.error('gettoken refused the app configuration (check corpId and corpSecret)', {
            corpId: this.corpId,
            errcode: error.errcode,
          });
        }
        throw error;
      }
      const errcode = Number(result.errcode ?? 0);
      if (RATE_LIMIT_ERRCODES.includes(errcode)) {
        if (attempt >= this.#rateLimit.attempts) {
          throw new WeComApiError(errcode, String(result.errmsg ?? ''), '/cgi-bin/gettoken');
        }
        const wait = rateLimitDelay(attempt, this.#rateLimit);
        this.#logger.warn('gettoken rate-limited; backing off', {
          corpId: this.corpId,
          errcode,
          waitMs: wait,
        });
        await sleep(wait);
        continue;
      }
      return { value: result.access_token as string, expiresInS: result.expires_in };
    }
  }
}

/** Timing options shared by every credential cache (tokens, tickets), checked and defaulted. */
export function resolveTiming(
  where: string,
  options: Partial<Record<keyof CredentialTiming, number | undefined>>,
): CredentialTiming {
  return {
    refreshMarginMs: optionalNumber(where, 'refreshMarginMs', options.refreshMarginMs, 300_000, {
      min: 60_000,
      max: 3_600_000,
    }),
    lockTtlMs: optionalNumber(where, 'lockTtlMs', options.lockTtlMs, 10_000, { min: 100, max: 120_000 }),
    lockWaitMs: optionalNumber(where, 'lockWaitMs', options.lockWaitMs, 15_000, { min: 0, max: 120_000 }),
    pollIntervalMs: optionalNumber(where, 'pollIntervalMs', options.pollIntervalMs, 50, {
      min: 1,
      max: 5_000,
    }),
  };
}
