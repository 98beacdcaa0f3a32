import { WeComConfigError } from './errors.js';
import type { Logger } from './logger.js';
import type { Store } from './store.js';

export interface DeduperOptions {
  store: Store;
  /** How long an id is remembered. Default 5 minutes (WeCom re-delivers within seconds). */
  ttlMs?: number;
  /** Key prefix, e.g. 'dedup:'. */
  prefix?: string;
  logger?: Logger;
}

/**
 * Marks ids as seen before dispatch (set-if-absent), so a re-delivery that arrives while the
 * first copy is still being processed is refused. When the store fails, the policy is fail-open:
 * the message is processed (possibly twice) and a warning is logged, never silently dropped.
 */
export class Deduper {
  readonly #store: Store;
  readonly #ttl: number;
  readonly #prefix: string;
  readonly #logger: Logger | undefined;

  constructor(options: DeduperOptions) {
    if (!options?.store || typeof options.store.setIfAbsent !== 'function')
      throw new WeComConfigError('Deduper needs a store');
    const ttl = options.ttlMs ?? 5 * 60_000;
    // A bad TTL would make every setIfAbsent throw, and fail-open would then silently disable dedup.
    if (typeof ttl !== 'number' || !(ttl > 0)) throw new WeComConfigError('ttlMs must be a positive number');
    this.#store = options.store;
    this.#ttl = ttl;
    this.#prefix = options.prefix ?? 'dedup:';
    this.#logger = options.logger;
  }

  /** True the first time `id` is seen within the TTL. */
  async first(id: string): Promise<boolean> {
    try {
      return await this.#store.setIfAbsent(this.#prefix + id, '1', { ttlMs: this.#ttl });
    } catch (error) {
      this.#logger?.warn('dedup store failed; processing the message anyway (fail-open)', { error });
      return true;
    }
  }

  /** Forgets an id (e.g. when processing failed before anything was sent, so a retry may run). */
  async forget(id: string): Promise<void> {
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
