import { WeComConfigError } from './errors.js';
import type { Logger } from './logger.js';
import type { Store } from './store.js';
import { evicted, watchSize } from './telemetry-meters.js';

export interface DeduperOptions {
  store: Store;
  /** How long an id is remembered once its callback was answered. Default 5 minutes. */
  ttlMs?: number;
  /** Key prefix, e.g. 'dedup:'. */
  prefix?: string;
  logger?: Logger;
  /**
   * How long a claim holds while its callback is being handled. It must outlast the answer (the
   * deadline) and lapse before WeCom's re-delivery (about 5 s after it sent the callback), so a
   * re-delivery finds the claim of an owner that died expired, and is handled again. Default 4.5 s.
   */
  leaseMs?: number;
  /** Ids kept in this process in front of the Store (re-deliveries usually reach the same replica). Default 10 000; 0 (none) in front of an in-process store. */
  localEntries?: number;
  now?: () => number;
}

/** What a claim found: first sight (handle it), answered before (a duplicate), or being handled. */
export type ClaimResult = 'claimed' | 'done' | 'in_progress';

const DONE = 'done';

/**
 * Two-phase dedup of callbacks. `claim` marks an id as being handled with a short lease; `complete`
 * turns it into a long-lived "done" mark once the callback has been answered. A re-delivery that
 * finds "done" is a duplicate; one that finds a live claim is in progress (answered 503, WeCom
 * tries again); one whose claim lapsed (its owner died) claims it anew.
 *
 * A bounded in-process guard stands in front of the Store. When the Store fails, the guard decides
 * alone (at-least-once across replicas, at-most-once within this process) and a warning is logged;
 * nothing is dropped.
 */
export class Deduper {
  readonly #store: Store;
  readonly #ttl: number;
  readonly #lease: number;
  readonly #prefix: string;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #localMax: number;
  /** id → { state, until }: insertion-ordered, the oldest dropped past the bound. */
  readonly #local = new Map<string, { done: boolean; until: number }>();

  constructor(options: DeduperOptions) {
    if (!options?.store || typeof options.store.setIfAbsent !== 'function')
      throw new WeComConfigError('Deduper needs a store');
    const ttl = options.ttlMs ?? 5 * 60_000;
    // A bad TTL would make every setIfAbsent throw, and fail-open would then silently disable dedup.
    if (typeof ttl !== 'number' || !(ttl > 0)) throw new WeComConfigError('ttlMs must be a positive number');
    const lease = options.leaseMs ?? 4500;
    if (typeof lease !== 'number' || !(lease > 0))
      throw new WeComConfigError('leaseMs must be a positive number');
    this.#store = options.store;
    this.#ttl = ttl;
    this.#lease = Math.min(lease, ttl);
    this.#prefix = options.prefix ?? 'dedup:';
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    // A store in this process's memory is never unreachable: a guard in front of it only repeats it.
    this.#localMax = options.localEntries ?? (options.store.inProcess ? 0 : 10_000);
    watchSize('wecom.dedup.size', this, () => this.#local.size);
  }

  #remember(id: string, done: boolean, ms: number): void {
    if (this.#localMax === 0) return;
    this.#local.delete(id);
    this.#local.set(id, { done, until: this.#now() + ms });
    if (this.#local.size > this.#localMax && this.#local.delete(this.#local.keys().next().value as string))
      evicted('wecom.dedup.evictions');
  }

  #localState(id: string): ClaimResult | undefined {
    if (this.#localMax === 0) return undefined;
    const entry = this.#local.get(id);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#local.delete(id);
      return undefined;
    }
    return entry.done ? 'done' : 'in_progress';
  }

  /** Claims an id for handling (see the class comment). */
  async claim(id: string): Promise<ClaimResult> {
    const local = this.#localState(id);
    if (local !== undefined) return local;
    try {
      if (await this.#store.setIfAbsent(this.#prefix + id, 'claim', { ttlMs: this.#lease })) {
        this.#remember(id, false, this.#lease);
        return 'claimed';
      }
      const value = await this.#store.get(this.#prefix + id);
      // Gone between the two calls: its claim lapsed just now; the next re-delivery claims it.
      return value === DONE ? 'done' : 'in_progress';
    } catch (error) {
      this.#logger?.warn('dedup store failed; handling the callback on this replica (at-least-once)', {
        error,
      });
      this.#remember(id, false, this.#lease);
      return 'claimed';
    }
  }

  /** The claimed callback was answered: re-deliveries from now on are duplicates. */
  async complete(id: string): Promise<void> {
    this.#remember(id, true, this.#ttl);
    try {
      await this.#store.set(this.#prefix + id, DONE, { ttlMs: this.#ttl });
    } catch (error) {
      this.#logger?.warn('dedup store failed to mark a callback answered; this replica still knows', {
        error,
      });
    }
  }

  /** True the first time `id` is seen within the TTL (one phase: marked done at once). */
  async first(id: string): Promise<boolean> {
    const local = this.#localState(id);
    if (local !== undefined) return false;
    try {
      const fresh = await this.#store.setIfAbsent(this.#prefix + id, DONE, { ttlMs: this.#ttl });
      if (fresh) this.#remember(id, true, this.#ttl);
      return fresh;
    } catch (error) {
      this.#logger?.warn('dedup store failed; processing the message anyway (fail-open)', { error });
      this.#remember(id, true, this.#ttl);
      return true;
    }
  }

  /** Forgets an id (e.g. when processing failed before anything was sent, so a retry may run). */
  async forget(id: string): Promise<void> {
    this.#local.delete(id);
    try {
      await this.#store.delete(this.#prefix + id);
    } catch (error) {
      // The id stays marked until its TTL ends, so a re-delivery is refused: say so.
      this.#logger?.warn('dedup store failed to forget an id; a re-delivery will be treated as a duplicate', {
        error,
      });
    }
  }
}
