/**
 * The server under test of the Redis rows (bench/redis.bench.ts), run as a child process:
 * `node --import tsx bench/redis-server.ts '<json config>'`.
 *
 * One node:http server with the same hot path twice (packages/redis/test/hot-paths.ts): on
 * `/memory` with a MemoryStore, on `/redis` with a RedisStore over ioredis (the client wrapped by
 * the counting Proxy of packages/redis/test/counting-client.ts, keys under `prefix`). Replies that
 * go actively are sent to `apiBase` (message/send, the simulated WeCom) or to the response_url each
 * callback carries (a loopback endpoint), both in bench/reply-sink.ts.
 *
 * IPC: 'cpu' → `{ cpu }` (µs so far); 'idle' → `{ idle: true }` once every reply went out; 'redis' → `{ redis: { commands, byLabel, callbacks, failed } }`
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
// Texts received and replies answered (delivered or failed), per route: 'idle' waits until every
// reply has gone out, so one route's background replies are not measured with the next.
// (The delivered listener costs both routes alike.)
const texts = { memory: 0, redis: 0 };
const settled = { memory: 0, redis: 0 };
const failed = { memory: 0, redis: 0 };
const memory = hotPathHandler(config.path, {
  store: new MemoryStore(),
  path: '/memory',
  apiBase: config.apiBase,
  onText: () => {
    texts.memory++;
  },
});
const redis = hotPathHandler(config.path, {
  store: createRedisStore({ client: countingClient(client, counter), prefix: config.prefix }),
  path: '/redis',
  apiBase: config.apiBase,
  onText: () => {
    texts.redis++;
  },
});

for (const [name, handler] of [
  ['memory', memory],
  ['redis', redis],
] as const) {
  const h = handler as unknown as { on(event: string, listener: () => void): void };
  h.on('reply.delivered', () => {
    settled[name]++;
  });
  h.on('reply.failed', () => {
    settled[name]++;
    failed[name]++;
  });
}
async function idle(): Promise<void> {
  while (settled.memory < texts.memory || settled.redis < texts.redis)
    await new Promise((resolve) => setTimeout(resolve, 5));
}
const served = await serve('node', [memory, redis], { bare: false });
process.send?.({ ready: true, port: served.port });
process.on('message', (message) => {
  if (message === 'cpu') {
    const used = process.cpuUsage();
    process.send?.({ cpu: used.user + used.system });
  } else if (message === 'idle') {
    void idle().then(() => process.send?.({ idle: true }));
  } else if (message === 'redis') {
    void counter.settle(50).then(() =>
      process.send?.({
        redis: {
          commands: counter.commands,
          byLabel: Object.fromEntries(counter.byLabel),
          callbacks: texts.redis,
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
