/**
 * One app's access token (docs/protocol.md §4.5), kept on the Store so every process shares it.
 *
 * - Refreshed ahead of expiry: `refreshMarginMs` (≥ 60 s; at most half the lifetime) before the
 *   `expires_in` WeCom gave (7200 s when absent).
 * - Single flight in the process: concurrent callers share one refresh.
 * - Across processes: a lock on the Store (`setIfAbsent` with a random fencing value and a TTL).
 *   The holder writes the token with `compareAndSet` against the record it read, so a refresher
 *   whose lock expired can never overwrite a newer token; it releases with `compareAndDelete`.
 *   Other processes poll the Store for the new token, for a bounded time.
 * - `invalidate(token)` evicts only when the cached token is the one that failed.
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
  WeComError,
} from '@maven/wecom-core';
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

interface TokenRecord {
  token: string;
  /** Epoch ms when WeCom says it expires. */
  expiresAt: number;
  /** Epoch ms from which it is refreshed. */
  refreshAt: number;
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

function parseRecord(raw: string | undefined): TokenRecord | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<TokenRecord>;
    if (
      typeof value.token === 'string' &&
      value.token.length > 0 &&
      typeof value.expiresAt === 'number' &&
      typeof value.refreshAt === 'number'
    ) {
      return { token: value.token, expiresAt: value.expiresAt, refreshAt: value.refreshAt };
    }
  } catch {
    // a record this version cannot read counts as absent
  }
  return undefined;
}

export class AccessTokenCache {
  readonly corpId: string;
  /** The Store key of the token record. */
  readonly storeKey: string;
  readonly #lockKey: string;
  readonly #secret: string;
  readonly #http: HttpClient;
  readonly #store: Store;
  readonly #margin: number;
  readonly #lockTtl: number;
  readonly #lockWait: number;
  readonly #poll: number;
  readonly #cooldown: number;
  readonly #rateLimit: RateLimitRetry;
  readonly #now: () => number;
  readonly #logger: Logger;
  #memory: TokenRecord | undefined;
  /** Tokens WeCom refused, so a read racing an eviction never takes one back from the Store. */
  readonly #refused = new Set<string>();
  #inflight: Promise<TokenRecord> | undefined;
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
    this.storeKey = `token:${suffix}`;
    this.#lockKey = `token-lock:${suffix}`;
    this.#http = options.http instanceof HttpClient ? options.http : new HttpClient(options.http ?? {});
    this.#store = options.store ?? new MemoryStore({ maxEntries: 1000 });
    this.#margin = optionalNumber(where, 'refreshMarginMs', options.refreshMarginMs, 300_000, {
      min: 60_000,
      max: 3_600_000,
    });
    this.#lockTtl = optionalNumber(where, 'lockTtlMs', options.lockTtlMs, 10_000, { min: 100, max: 120_000 });
    this.#lockWait = optionalNumber(where, 'lockWaitMs', options.lockWaitMs, 15_000, {
      min: 0,
      max: 120_000,
    });
    this.#poll = optionalNumber(where, 'pollIntervalMs', options.pollIntervalMs, 50, { min: 1, max: 5_000 });
    this.#cooldown = optionalNumber(where, 'configErrorCooldownMs', options.configErrorCooldownMs, 30_000, {
      min: 0,
      max: 3_600_000,
    });
    this.#rateLimit = resolveRateLimit(`${where}: rateLimitRetry`, options.rateLimitRetry);
    this.#now = optionalFunction<() => number>(where, 'now', options.now) ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
  }

  /** How many gettoken calls this instance made (for health pages and tests). */
  get fetchCount(): number {
    return this.#fetches;
  }

  /** A valid token: from memory, the Store, or one shared refresh. */
  async get(): Promise<string> {
    const memory = this.#memory;
    if (this.#fresh(memory)) return memory.token;
    if (this.#configError !== undefined) {
      if (this.#now() < this.#configError.until) throw this.#configError.error;
      this.#configError = undefined;
    }
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return (await this.#inflight).token;
  }

  /**
   * Evicts `token` from memory and from the Store, but only where it is still the cached token
   * (a caller holding an old token must not evict a newer one). True when something was evicted.
   */
  async invalidate(token: string): Promise<boolean> {
    let evicted = false;
    this.#refused.add(token);
    if (this.#refused.size > 16) this.#refused.delete(this.#refused.values().next().value as string);
    if (this.#memory?.token === token) {
      this.#memory = undefined;
      evicted = true;
    }
    const raw = await this.#storeGet(this.storeKey);
    if (raw !== undefined && parseRecord(raw)?.token === token) {
      evicted =
        (await this.#attempt(() => this.#store.compareAndDelete(this.storeKey, raw), false)) || evicted;
    }
    if (evicted) this.#logger.info('access token evicted after WeCom refused it', { corpId: this.corpId });
    return evicted;
  }

  toJSON(): Record<string, unknown> {
    return { corpId: this.corpId, storeKey: this.storeKey, corpSecret: '[redacted]' };
  }

  #fresh(record: TokenRecord | undefined): record is TokenRecord {
    return record !== undefined && this.#now() < record.refreshAt && !this.#refused.has(record.token);
  }

  #remember(record: TokenRecord): TokenRecord {
    registerSecret(record.token);
    this.#memory = record;
    return record;
  }

  async #refresh(): Promise<TokenRecord> {
    const waitUntil = this.#now() + this.#lockWait;
    for (;;) {
      const seen = await this.#storeGet(this.storeKey);
      const stored = parseRecord(seen);
      if (this.#fresh(stored)) return this.#remember(stored);
      const fence = crypto.randomUUID();
      const locked = await this.#attempt(
        () => this.#store.setIfAbsent(this.#lockKey, fence, { ttlMs: this.#lockTtl }),
        true, // a failing store must not stop tokens: fetch without the lock
      );
      if (locked) return this.#remember(await this.#refreshLocked(fence));
      // Another process is refreshing: wait for its token, or for its lock to go away.
      for (;;) {
        if (this.#now() >= waitUntil) {
          throw new WeComError(
            'token_unavailable',
            'timed out waiting for another process to refresh the access token',
            {
              status: 503,
            },
          );
        }
        await sleep(this.#poll);
        const record = parseRecord(await this.#storeGet(this.storeKey));
        if (this.#fresh(record)) return this.#remember(record);
        if ((await this.#storeGet(this.#lockKey)) === undefined) break;
      }
    }
  }

  async #refreshLocked(fence: string): Promise<TokenRecord> {
    try {
      // Re-read under the lock: a refresh may have finished between our read and the lock.
      const current = await this.#storeGet(this.storeKey);
      const existing = parseRecord(current);
      if (this.#fresh(existing)) return existing;
      const record = await this.#fetch();
      const ttlMs = Math.max(1, record.expiresAt - this.#now());
      const written = await this.#attempt(
        () => this.#store.compareAndSet(this.storeKey, current, JSON.stringify(record), { ttlMs }),
        false,
      );
      if (!written) {
        // Someone wrote after our read (our lock had expired): theirs is newer, keep it.
        const newer = parseRecord(await this.#storeGet(this.storeKey));
        if (this.#fresh(newer)) return newer;
      }
      return record;
    } finally {
      await this.#attempt(() => this.#store.compareAndDelete(this.#lockKey, fence), false);
    }
  }

  async #fetch(): Promise<TokenRecord> {
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
      const token = result.access_token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
        throw new WeComError('invalid_response', 'gettoken answered without an access_token', {
          status: 502,
        });
      }
      registerSecret(token);
      const seconds = Number(result.expires_in);
      const lifetime = (Number.isFinite(seconds) && seconds > 0 ? seconds : 7200) * 1000;
      const now = this.#now();
      const margin = Math.min(this.#margin, lifetime / 2);
      this.#logger.info('access token refreshed', { corpId: this.corpId, expiresInS: lifetime / 1000 });
      return { token, expiresAt: now + lifetime, refreshAt: now + lifetime - margin };
    }
  }

  async #storeGet(key: string): Promise<string | undefined> {
    return this.#attempt(() => this.#store.get(key), undefined);
  }

  /** Store calls never break token retrieval: a failure is logged and replaced by `fallback`. */
  async #attempt<T>(op: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await op();
    } catch (error) {
      this.#logger.warn('token store operation failed', { corpId: this.corpId, error });
      return fallback;
    }
  }
}
