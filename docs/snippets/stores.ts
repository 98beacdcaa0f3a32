// The Store options: the bounded in-process default, and Redis (ioredis or node-redis v5).
import { MemoryStore } from '@maven/wecom-core';
import { createRedisStore } from '@maven/wecom-redis';
import { Redis } from 'ioredis';

export const memory = new MemoryStore({
  maxEntries: 50_000, // least recently used go first
  maxTtlMs: 24 * 3_600_000, // upper bound for any TTL
});

export const redis = createRedisStore({
  client: new Redis('redis://127.0.0.1:6379'), // yours: close() does not quit it…
  ownsClient: false, // …unless this is true
  prefix: 'wecom:', // one per deployment/environment sharing a Redis
  commandTimeoutMs: 1000, // the most one operation may take, reconnects included
  maxTtlMs: 24 * 3_600_000,
});
