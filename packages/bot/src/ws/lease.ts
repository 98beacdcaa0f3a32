/**
 * A leader lease on the core `Store` (Redis when there are replicas): one owner at a time, with a
 * TTL, so a crashed holder's lease lapses by itself. Acquire is `setIfAbsent`; renew is a
 * `compareAndSet` on our own owner id, so a holder whose lease already went to another replica can
 * never take it back; release deletes only our own value.
 */
import type { Store } from '@maven/wecom-core';

export class LeaderLease {
  readonly #store: Store;
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;

  constructor(store: Store, key: string, owner: string, ttlMs: number) {
    this.#store = store;
    this.key = key;
    this.owner = owner;
    this.ttlMs = ttlMs;
  }

  /** True when we hold the lease now (newly taken, or already ours and extended). */
  async tryAcquire(): Promise<boolean> {
    if (await this.#store.setIfAbsent(this.key, this.owner, { ttlMs: this.ttlMs })) return true;
    return this.renew();
  }

  /** Extends our lease; false when it is no longer ours. */
  renew(): Promise<boolean> {
    return this.#store.compareAndSet(this.key, this.owner, this.owner, { ttlMs: this.ttlMs });
  }

  release(): Promise<boolean> {
    return this.#store.compareAndDelete(this.key, this.owner);
  }

  /** The current holder's owner id, if any. */
  holder(): Promise<string | undefined> {
    return this.#store.get(this.key);
  }
}
