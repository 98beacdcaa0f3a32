import type { Logger } from './logger.js';
import { MemoryStore } from './store.js';

/** Entries the default in-memory store holds: a bot message takes 4–5, a streamed one a few more. */
export const DEFAULT_STORE_MAX_ENTRIES = 100_000;

/**
 * The in-memory store a bot or router uses when none is given: bounded, and saying so (at warn,
 * at most once a minute) when traffic outgrows the bound, since evicted dedup marks could let a
 * re-delivery through and evicted stream states end a stream early.
 */
export function createDefaultStore(options: {
  logger: Logger;
  maxEntries?: number;
  now?: () => number;
}): MemoryStore {
  let lastWarning = Number.NEGATIVE_INFINITY;
  const now = options.now ?? Date.now;
  const store: MemoryStore = new MemoryStore({
    maxEntries: options.maxEntries ?? DEFAULT_STORE_MAX_ENTRIES,
    now,
    onEvict: () => {
      if (now() - lastWarning < 60_000) return;
      lastWarning = now();
      options.logger.warn(
        'the in-memory store is full and evicts live entries (dedup marks, stream states); raise maxEntries or use @maven/wecom-redis',
        { evictions: store.evictions },
      );
    },
  });
  return store;
}
