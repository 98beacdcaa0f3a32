/**
 * Shared state for dedup, streams, response_url bookkeeping and access tokens. Values are strings
 * (callers JSON-encode). Every write carries a TTL. The operations map one-to-one onto single
 * atomic Redis commands or scripts, so a Redis store needs no read-then-write races.
 */
import { LRUCache } from 'lru-cache';
import { WeComConfigError } from './errors.js';

export interface StoreSetOptions {
  /** Time to live in milliseconds. Required: nothing in the SDK lives forever. */
  ttlMs: number;
}

export interface Store {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options: StoreSetOptions): Promise<void>;
  /** Writes only when the key is absent; true when this call wrote it. */
  setIfAbsent(key: string, value: string, options: StoreSetOptions): Promise<boolean>;
  /**
   * Writes only when the current value equals `expected` (`undefined` = key absent); true when
   * written. This is the fencing primitive: a stale writer can never overwrite a newer value.
   */
  compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    options: StoreSetOptions,
  ): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /** Deletes only when the current value equals `expected` (lock release by its owner). */
  compareAndDelete(key: string, expected: string): Promise<boolean>;
  /** Releases resources the store owns (not a client the user passed in). */
  close?(): Promise<void>;
}

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default 50,000. */
  maxEntries?: number;
  /** Upper bound for any TTL in milliseconds. Default 24 h. */
  maxTtlMs?: number;
  /** Clock for TTLs (ms), for tests. */
  now?: () => number;
}

/**
 * The default in-process store: bounded by entry count and TTL, O(1) operations (lru-cache).
 * Not shared between processes: use @maven/wecom-redis for several replicas.
 */
export class MemoryStore implements Store {
  readonly #cache: LRUCache<string, string>;
  readonly #maxTtl: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxEntries ?? 50_000;
    if (!Number.isInteger(max) || max < 1)
      throw new WeComConfigError('maxEntries must be a positive integer');
    this.#maxTtl = options.maxTtlMs ?? 24 * 3600_000;
    this.#now = options.now ?? Date.now;
    const now = this.#now;
    this.#cache = new LRUCache<string, string>({
      max,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      perf: { now },
    });
  }

  /** Number of live entries (expired ones may still be counted until touched). */
  get size(): number {
    return this.#cache.size;
  }

  #ttl(options: StoreSetOptions): number {
    const ttl = options?.ttlMs;
    if (typeof ttl !== 'number' || !(ttl > 0)) throw new WeComConfigError('ttlMs must be a positive number');
    return Math.min(Math.ceil(ttl), this.#maxTtl);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#cache.get(key);
  }

  async set(key: string, value: string, options: StoreSetOptions): Promise<void> {
    this.#cache.set(key, value, { ttl: this.#ttl(options) });
  }

  async setIfAbsent(key: string, value: string, options: StoreSetOptions): Promise<boolean> {
    const ttl = this.#ttl(options);
    if (this.#cache.has(key)) return false;
    this.#cache.set(key, value, { ttl });
    return true;
  }

  async compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    options: StoreSetOptions,
  ): Promise<boolean> {
    const ttl = this.#ttl(options);
    if (this.#cache.get(key) !== expected) return false;
    this.#cache.set(key, value, { ttl });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.#cache.delete(key);
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    if (this.#cache.get(key) !== expected) return false;
    return this.#cache.delete(key);
  }

  async close(): Promise<void> {
    this.#cache.clear();
  }
}

/** Prefixes every key, so several bots/apps (or SDK versions) can share one store. */
export function prefixStore(store: Store, prefix: string): Store {
  const k = (key: string) => `${prefix}${key}`;
  return {
    get: (key) => store.get(k(key)),
    set: (key, value, o) => store.set(k(key), value, o),
    setIfAbsent: (key, value, o) => store.setIfAbsent(k(key), value, o),
    compareAndSet: (key, expected, value, o) => store.compareAndSet(k(key), expected, value, o),
    delete: (key) => store.delete(k(key)),
    compareAndDelete: (key, expected) => store.compareAndDelete(k(key), expected),
  };
}
