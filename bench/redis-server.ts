/**
 * The server under test of the Redis rows (bench/redis.bench.ts), run as a child process:
 * `node --import tsx bench/redis-server.ts '<json config>'`.
 *
 * One node:http server with the same hot path twice (packages/redis/test/hot-paths.ts): on
 * `/memory` with a MemoryStore, on `/redis` with a RedisStore over ioredis (the client wrapped by
 * the counting Proxy of packages/redis/test/counting-client.ts, keys under `prefix`). Replies that
 * go actively are sent to `apiBase` (message/send, the simulated WeCom in the parent) or to the
 * response_url each callback carries (a loopback endpoint in the parent).
 *
 * IPC: 'cpu' → `{ cpu }` (µs so far); 'redis' → `{ redis: { commands, byLabel, callbacks, failed } }`
 * (Redis commands sent, text callbacks dispatched on /redis, replies failed per route) once the
 * store has been quiet for a moment; 'stop' → closes both handlers and the client, then exits.
 */
import { MemoryStore } from '../packages/core/src/index.ts';
import { createRedisStore } from '../packages/redis/src/index.ts';
import { newIoRedis } from '../packages/redis/test/clients.ts';
import { CommandCounter, countingClient } from '../packages/redis/test/counting-client.ts';
import { type HotPathName, hotPathHandler } from '../packages/redis/test/hot-paths.ts';
import { serve } from './lib/frameworks.ts';

export interface RedisServerConfig {
  path: HotPathName;
  redisUrl: string;
  prefix: string;
  apiBase: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as RedisServerConfig;
const counter = new CommandCounter(config.prefix);
const client = newIoRedis(config.redisUrl);
let callbacks = 0;
const memory = hotPathHandler(config.path, {
  store: new MemoryStore(),
  path: '/memory',
  apiBase: config.apiBase,
});
const redis = hotPathHandler(config.path, {
  store: createRedisStore({ client: countingClient(client, counter), prefix: config.prefix }),
  path: '/redis',
  apiBase: config.apiBase,
  onText: () => {
    callbacks++;
  },
});

// Only failures are listened to (a listener on the delivered event would add its cost to every reply).
const failed: Record<string, number> = { memory: 0, redis: 0 };
for (const [name, handler] of [
  ['memory', memory],
  ['redis', redis],
] as const) {
  (handler as unknown as { on(event: string, listener: () => void): void }).on('reply.failed', () => {
    failed[name]!++;
  });
}
const served = await serve('node', [memory, redis], { bare: false });
process.send?.({ ready: true, port: served.port });
process.on('message', (message) => {
  if (message === 'cpu') {
    const used = process.cpuUsage();
    process.send?.({ cpu: used.user + used.system });
  } else if (message === 'redis') {
    void counter.settle(50).then(() =>
      process.send?.({
        redis: {
          commands: counter.commands,
          byLabel: Object.fromEntries(counter.byLabel),
          callbacks,
          failed,
        },
      }),
    );
  } else if (message === 'stop') {
    void Promise.all([memory.close({ timeoutMs: 2000 }), redis.close({ timeoutMs: 2000 })])
      .then(() => served.close())
      .finally(() => {
        client.disconnect();
        process.exit(0);
      });
    setTimeout(() => process.exit(0), 4000).unref();
  }
});
