/**
 * One expiring credential (access token, JS-SDK ticket) kept on the Store so every process shares it.
 *
 * - Refreshed ahead of expiry: `refreshMarginMs` before the lifetime WeCom gave (at most half of it).
 * - Single flight in the process: concurrent callers share one refresh.
 * - Across processes: a lock on the Store (`setIfAbsent` with a random fencing value and a TTL).
 *   The holder writes the credential with `compareAndSet` against the record it read, so a refresher
 *   whose lock expired can never overwrite a newer one; it releases with `compareAndDelete`.
 *   Other processes poll the Store for the new value, for a bounded time.
 * - `invalidate(value)` evicts only when the cached value is the one that failed.
 * Store failures never stop retrieval: they are logged and the refresh goes on without the lock
 * (a lock whose `setIfAbsent` failed is read back first: it may have been taken after all, or be
 * another process's).
 */
import { inRefresh, type Logger, registerSecret, type Store, WeComError } from '@maven/wecom-core';
import { sleep } from './errcodes.js';

export interface CredentialTiming {
  /** Refresh this long before expiry (capped at half the lifetime). */
  refreshMarginMs: number;
  /** Lifetime of the cross-process refresh lock. */
  lockTtlMs: number;
  /** Longest wait for another process's refresh. */
  lockWaitMs: number;
  /** Store polling interval while waiting. */
  pollIntervalMs: number;
}

export interface FetchedCredential {
  value: string;
  /** Lifetime WeCom gave, in seconds (7200 when absent or invalid). */
  expiresInS: unknown;
}

export interface CredentialCacheOptions extends CredentialTiming {
  /** What it is, for logs and errors ("access token", "jsapi ticket"). */
  label: string;
  /** Store keys are `<prefix>:<key>` and `<prefix>-lock:<key>`. */
  prefix: string;
  key: string;
  store: Store;
  now: () => number;
  logger: Logger;
  /** Log fields that identify the owner (corpId, agentId); never a secret. */
  fields: Record<string, unknown>;
  /** Asks WeCom for a new value. */
  fetch: () => Promise<FetchedCredential>;
}

interface CredentialRecord {
  token: string;
  /** Epoch ms when WeCom says it expires. */
  expiresAt: number;
  /** Epoch ms from which it is refreshed. */
  refreshAt: number;
}

function parseRecord(raw: string | undefined): CredentialRecord | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<CredentialRecord>;
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

export class CredentialCache {
  /** The Store key of the record. */
  readonly storeKey: string;
  readonly #lockKey: string;
  readonly #o: CredentialCacheOptions;
  #memory: CredentialRecord | undefined;
  /** Values WeCom refused, so a read racing an eviction never takes one back from the Store. */
  readonly #refused = new Set<string>();
  #inflight: Promise<CredentialRecord> | undefined;
  #fetches = 0;

  constructor(options: CredentialCacheOptions) {
    this.#o = options;
    this.storeKey = `${options.prefix}:${options.key}`;
    this.#lockKey = `${options.prefix}-lock:${options.key}`;
  }

  /** How many times this instance asked WeCom (for health pages and tests). */
  get fetchCount(): number {
    return this.#fetches;
  }

  /** A valid value: from memory, the Store, or one shared refresh. */
  async get(): Promise<string> {
    const memory = this.#memory;
    if (this.#fresh(memory)) return memory.token;
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return (await this.#inflight).token;
  }

  /** Evicts `value` from memory and the Store where it is still the cached one. True when evicted. */
  async invalidate(value: string): Promise<boolean> {
    let evicted = false;
    this.#refused.add(value);
    if (this.#refused.size > 16) this.#refused.delete(this.#refused.values().next().value as string);
    if (this.#memory?.token === value) {
      this.#memory = undefined;
      evicted = true;
    }
    const raw = await this.#storeGet(this.storeKey);
    if (raw !== undefined && parseRecord(raw)?.token === value) {
      evicted =
        (await this.#attempt(() => this.#o.store.compareAndDelete(this.storeKey, raw), false)) || evicted;
    }
    if (evicted) this.#o.logger.info(`${this.#o.label} evicted after WeCom refused it`, this.#o.fields);
    return evicted;
  }

  #fresh(record: CredentialRecord | undefined): record is CredentialRecord {
    return record !== undefined && this.#o.now() < record.refreshAt && !this.#refused.has(record.token);
  }

  #remember(record: CredentialRecord): CredentialRecord {
    registerSecret(record.token);
    this.#memory = record;
    return record;
  }

  async #refresh(): Promise<CredentialRecord> {
    const waitUntil = this.#o.now() + this.#o.lockWaitMs;
    for (;;) {
      const stored = parseRecord(await this.#storeGet(this.storeKey));
      if (this.#fresh(stored)) return this.#remember(stored);
      const fence = crypto.randomUUID();
      const locked = await this.#lock(fence);
      if (locked) return this.#remember(await this.#refreshLocked(fence));
      // Another process is refreshing: wait for its value, or for its lock to go away.
      for (;;) {
        if (this.#o.now() >= waitUntil) {
          throw new WeComError(
            'token_unavailable',
            `timed out waiting for another process to refresh the ${this.#o.label}`,
            { status: 503 },
          );
        }
        await sleep(this.#o.pollIntervalMs);
        const record = parseRecord(await this.#storeGet(this.storeKey));
        if (this.#fresh(record)) return this.#remember(record);
        if ((await this.#storeGet(this.#lockKey)) === undefined) break;
      }
    }
  }

  /**
   * Takes the cross-process lock. A `setIfAbsent` that failed may still have been applied (a
   * timeout, a cluster redirect), or another process may hold the lock: the lock's value tells
   * which. Only when the Store cannot say (it is down) is the refresh done without the lock: a
   * failing store must not stop the credential.
   */
  async #lock(fence: string): Promise<boolean> {
    const take = () => this.#o.store.setIfAbsent(this.#lockKey, fence, { ttlMs: this.#o.lockTtlMs });
    try {
      return await take();
    } catch (error) {
      this.#o.logger.warn(`${this.#o.label} store operation failed`, { ...this.#o.fields, error });
    }
    // Read twice (a poll interval apart) before giving up on the lock: a Store that stalled for
    // one command (seen on a loaded Redis Cluster: commands timing out while the client is ready)
    // often answers the next one.
    for (let reads = 0; reads < 2; reads++) {
      try {
        const holder = await this.#o.store.get(this.#lockKey);
        if (holder !== undefined) return holder === fence;
        return this.#attempt(take, true);
      } catch {
        await sleep(this.#o.pollIntervalMs);
      }
    }
    return true;
  }

  async #refreshLocked(fence: string): Promise<CredentialRecord> {
    try {
      // Re-read under the lock: a refresh may have finished between our read and the lock.
      const current = await this.#storeGet(this.storeKey);
      const existing = parseRecord(current);
      if (this.#fresh(existing)) return existing;
      const record = await this.#fetch();
      const ttlMs = Math.max(1, record.expiresAt - this.#o.now());
      let expected = current;
      // The record can change under the lock without a newer value: another process that met the
      // same refused value evicts it (`invalidate`) between our read and our write. Writing only
      // against the first read would then leave the Store empty, and every process waiting on the
      // lock would refresh once more; so a record that is gone, or is not fresh, is replaced.
      for (let tries = 0; tries < 3; tries++) {
        const from = expected;
        const written = await this.#attempt(
          () => this.#o.store.compareAndSet(this.storeKey, from, JSON.stringify(record), { ttlMs }),
          false,
        );
        if (written) break;
        expected = await this.#storeGet(this.storeKey);
        // Someone wrote a fresh one after our read (our lock had expired): theirs is newer, keep it.
        const newer = parseRecord(expected);
        if (this.#fresh(newer)) return newer;
        if (expected === from) break; // the Store itself failed: the value is still good to use
      }
      return record;
    } finally {
      await this.#attempt(() => this.#o.store.compareAndDelete(this.#lockKey, fence), false);
    }
  }

  async #fetch(): Promise<CredentialRecord> {
    this.#fetches++;
    const { value, expiresInS } = await inRefresh(this.#o.prefix, () => this.#o.fetch());
    if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
      throw new WeComError('invalid_response', `WeCom answered without a ${this.#o.label}`, { status: 502 });
    }
    registerSecret(value);
    const seconds = Number(expiresInS);
    const lifetime = (Number.isFinite(seconds) && seconds > 0 ? seconds : 7200) * 1000;
    const now = this.#o.now();
    const margin = Math.min(this.#o.refreshMarginMs, lifetime / 2);
    this.#o.logger.info(`${this.#o.label} refreshed`, { ...this.#o.fields, expiresInS: lifetime / 1000 });
    return { token: value, expiresAt: now + lifetime, refreshAt: now + lifetime - margin };
  }

  async #storeGet(key: string): Promise<string | undefined> {
    return this.#attempt(() => this.#o.store.get(key), undefined);
  }

  async #attempt<T>(op: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await op();
    } catch (error) {
      this.#o.logger.warn(`${this.#o.label} store operation failed`, { ...this.#o.fields, error });
      return fallback;
    }
  }
}
