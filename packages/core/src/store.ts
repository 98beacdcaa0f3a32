/**
 * Shared state for dedup, streams, response_url bookkeeping and access tokens. Values are strings
 * (callers JSON-encode). Every write carries a TTL. The operations map one-to-one onto single
 * atomic Redis commands or scripts, so a Redis store needs no read-then-write races.
 */
import { LRUCache } from 'lru-cache';
import { WeComConfigError } from './errors.js';
import { evicted, watchSize } from './telemetry-meters.js';

export interface StoreSetOptions {
  /** Time to live in milliseconds. Required: nothing in the SDK lives forever. */
  ttlMs: number;
}

export interface AppendLineOptions extends StoreSetOptions {
  /** Lines kept, newest last; older ones drop off. */
  maxLines: number;
}

/** `current` with `line` appended, trimmed to the newest `maxLines` lines. */
export function appendedLines(current: string | undefined, line: string, maxLines: number): string {
  if (current === undefined || maxLines <= 1) return line;
  let cut = current.length;
  // Keep the last maxLines - 1 lines of `current` (found from its end), then the new one.
  for (let kept = 1; kept < maxLines; kept++) {
    const at = cut > 0 ? current.lastIndexOf('\n', cut - 1) : -1;
    if (at < 0) return `${current}\n${line}`;
    cut = at;
  }
  return `${current.slice(cut + 1)}\n${line}`;
}

/**
 * `Store.appendLine` for a store that lacks it: read, append, write only if nobody wrote in
 * between (compareAndSet), a few attempts. False when contention outlasted them.
 */
export async function appendLine(
  store: Store,
  key: string,
  line: string,
  options: AppendLineOptions,
): Promise<boolean> {
  if (store.appendLine) {
    await store.appendLine(key, line, options);
    return true;
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    const current = await store.get(key);
    const next = appendedLines(current, line, options.maxLines);
    if (await store.compareAndSet(key, current, next, { ttlMs: options.ttlMs })) return true;
  }
  return false;
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
  /**
   * Optional, one atomic step: appends `line` to the key's lines (a value of lines joined by `\n`),
   * keeps the newest `maxLines` and renews the TTL. A store without it gets the same result from
   * `appendLineByCompareAndSet` (a read and a fenced write per attempt).
   */
  appendLine?(key: string, line: string, options: AppendLineOptions): Promise<void>;
  /** Releases resources the store owns (not a client the user passed in). */
  close?(): Promise<void>;
  /**
   * True for a store held in this process's memory (MemoryStore): it cannot be unreachable, so
   * in-process guards in front of it (dedup's) would only repeat it.
   */
  readonly inProcess?: boolean;
}

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default 50,000. */
  maxEntries?: number;
  /** Upper bound for any TTL in milliseconds. Default 24 h. */
  maxTtlMs?: number;
  /** Clock for TTLs (ms), for tests. */
  now?: () => number;
  /**
   * Called when the size bound pushes out an entry whose TTL has not run out (a dedup mark, a
   * stream state): the store is too small for the traffic. Expired entries going out are not reported.
   */
  onEvict?: (info: { key: string; remainingMs: number }) => void;
}

interface Entry {
  value: string;
  /** Clock time (ms) after which the entry is gone. */
  expires: number;
}

/**
 * The default in-process store: bounded by entry count and TTL, O(1) operations (lru-cache).
 * Not shared between processes: use @maven/wecom-redis for several replicas.
 */
export class MemoryStore implements Store {
  readonly inProcess = true;
  // Expiry is checked here against our own clock, not lru-cache's TTL: its clock is cached per
  // millisecond of real time and treats a start time of 0 as "no TTL", both wrong for an injected clock.
  readonly #cache: LRUCache<string, Entry>;
  readonly #maxTtl: number;
  #evictions = 0;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxEntries ?? 50_000;
    if (!Number.isInteger(max) || max < 1)
      throw new WeComConfigError('maxEntries must be a positive integer');
    const maxTtl = options.maxTtlMs ?? 24 * 3600_000;
    if (typeof maxTtl !== 'number' || !(maxTtl > 0))
      throw new WeComConfigError('maxTtlMs must be a positive number');
    if (options.now !== undefined && typeof options.now !== 'function')
      throw new WeComConfigError('now must be a function');
    this.#maxTtl = maxTtl;
    this.#now = options.now ?? Date.now;
    if (options.onEvict !== undefined && typeof options.onEvict !== 'function')
      throw new WeComConfigError('onEvict must be a function');
    const onEvict = options.onEvict;
    this.#cache = new LRUCache<string, Entry>({
      max,
      dispose: (entry, key, reason) => {
        if (reason !== 'evict') return;
        const remainingMs = entry.expires - this.#now();
        if (remainingMs <= 0) return;
        this.#evictions++;
        evicted('wecom.store.evictions');
        onEvict?.({ key, remainingMs });
      },
    });
    watchSize('wecom.store.size', this, () => this.#cache.size);
  }

  /** How many entries the size bound pushed out before their TTL ran out (see `onEvict`). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Number of entries held, at most `maxEntries` (expired ones may be counted until touched or evicted). */
  get size(): number {
    return this.#cache.size;
  }

  #ttl(options: StoreSetOptions): number {
    const ttl = options?.ttlMs;
    if (typeof ttl !== 'number' || !(ttl > 0)) throw new WeComConfigError('ttlMs must be a positive number');
    return Math.min(ttl, this.#maxTtl);
  }

  /** The live entry for `key`; an expired one is removed. */
  #live(key: string): Entry | undefined {
    const entry = this.#cache.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expires) {
      this.#cache.delete(key);
      return undefined;
    }
    return entry;
  }

  #write(key: string, value: string, ttl: number): void {
    if (typeof value !== 'string') throw new WeComConfigError('store values must be strings');
    this.#cache.set(key, { value, expires: this.#now() + ttl });
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, options: StoreSetOptions): Promise<void> {
    this.#write(key, value, this.#ttl(options));
  }

  async setIfAbsent(key: string, value: string, options: StoreSetOptions): Promise<boolean> {
    const ttl = this.#ttl(options);
    if (this.#live(key) !== undefined) return false;
    this.#write(key, value, ttl);
    return true;
  }

  async compareAndSet(
    key: string,
    expected: string | undefined,
    value: string,
    options: StoreSetOptions,
  ): Promise<boolean> {
    const ttl = this.#ttl(options);
    if (this.#live(key)?.value !== expected) return false;
    this.#write(key, value, ttl);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.#live(key) !== undefined && this.#cache.delete(key);
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    if (this.#live(key)?.value !== expected) return false;
    return this.#cache.delete(key);
  }

  async appendLine(key: string, line: string, options: AppendLineOptions): Promise<void> {
    const ttl = this.#ttl(options);
    this.#write(key, appendedLines(this.#live(key)?.value, line, maxLinesOf(options)), ttl);
  }

  async close(): Promise<void> {
    this.#cache.clear();
  }
}

/** Checks `AppendLineOptions.maxLines`. */
export function maxLinesOf(options: AppendLineOptions): number {
  const max = options?.maxLines;
  if (!Number.isInteger(max) || max < 1) throw new WeComConfigError('maxLines must be a positive integer');
  return max;
}

/** Prefixes every key, so several bots/apps (or SDK versions) can share one store. */
export function prefixStore(store: Store, prefix: string): Store {
  const k = (key: string) => `${prefix}${key}`;
  const append = store.appendLine?.bind(store);
  return {
    ...(store.inProcess ? { inProcess: true } : {}),
    ...(append
      ? { appendLine: (key: string, line: string, o: AppendLineOptions) => append(k(key), line, o) }
      : {}),
    get: (key) => store.get(k(key)),
    set: (key, value, o) => store.set(k(key), value, o),
    setIfAbsent: (key, value, o) => store.setIfAbsent(k(key), value, o),
    compareAndSet: (key, expected, value, o) => store.compareAndSet(k(key), expected, value, o),
    delete: (key) => store.delete(k(key)),
    compareAndDelete: (key, expected) => store.compareAndDelete(k(key), expected),
  };
}
