/**
 * (r) The Redis rows: the three inbound hot paths (packages/redis/test/hot-paths.ts) with
 * @maven/wecom-redis on the real Redis (REDIS_URL, default redis://127.0.0.1:6379) against the
 * memory store, side by side on one child server (bench/redis-server.ts), plus the Redis commands
 * and round trips per callback:
 *
 * - count run (in this process): callbacks one at a time over real HTTP, each run to completion,
 *   commands and round trips counted by the Proxy of packages/redis/test/counting-client.ts (the
 *   same figures packages/redis/test/hot-paths.test.ts asserts);
 * - under load: Redis commands / callbacks answered on the Redis route, from the same counter in
 *   the child.
 *
 * Replies that go actively reach the simulated WeCom of @maven/wecom-testing (message/send) or a
 * loopback response_url endpoint, both in a child process of their own (bench/reply-sink.ts).
 * Keys live under a prefix unique to the run and are deleted afterwards. Prints figures; asserts nothing.
 *
 * Run alone: node --import tsx bench/redis.bench.ts [--duration 6] [--warmup 1]
 */
import { createRedisStore } from '../packages/redis/src/index.ts';
import { newIoRedis } from '../packages/redis/test/clients.ts';

import {
  countHotPath,
  HOT_APP,
  HOT_PATH_LABELS,
  HOT_PATHS,
  type HotPathCount,
  type HotPathName,
  hotPathCallback,
} from '../packages/redis/test/hot-paths.ts';
import { pingRedis } from '../packages/redis/test/redis-server.ts';
import { startWeComSimulator, type WeComSimulator } from '../packages/testing/src/index.ts';
import {
  Cursor,
  figures,
  type InboundOptions,
  median,
  type RouteFigures,
  rawRequest,
  SignedPool,
  took,
} from './inbound.bench.ts';
import { benchFromDist, type ChildServer, startChild } from './lib/child.ts';
import { fmt, table } from './lib/table.ts';

type Redis = ReturnType<typeof newIoRedis>;

export interface RedisRow {
  path: HotPathName;
  label: string;
  memory: RouteFigures;
  redis: RouteFigures;
  /** Redis route / memory route, req/s. */
  ratio: number;
  /** Redis commands / callbacks answered on the Redis route, over the whole load run. */
  commandsUnderLoad: number;
  /** The same by command (`GET`, `SET PX NX`, `EVALSHA compareAndSet`…), per callback. */
  commandsUnderLoadByLabel: Record<string, number>;
  /** One at a time, each callback to completion. */
  count: HotPathCount;
  poolWrapped: boolean;
  /** `reply.failed` events per route during the load run (0 when every reply was delivered). */
  repliesFailed: Record<string, number>;
}

export interface RedisResults {
  url: string;
  rows: RedisRow[];
  /** Set when no Redis answered: the rows were not measured. */
  skipped?: string;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONTENT_TYPE: Record<HotPathName, string> = {
  'bot-passive': 'application/json',
  'bot-response-url': 'application/json',
  'app-message-send': 'text/xml',
};

async function deleteUnder(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export interface RedisPrepared {
  runId: string;
  client: Redis;
  sim: WeComSimulator;
  sink: ChildServer;
  /** Per hot path, its server child (all started side by side, all listening) and its request pool. */
  paths: Map<HotPathName, { prefix: string; child: ChildServer; pool: SignedPool<'memory' | 'redis'> }>;
}

/** Why the Redis rows cannot run (no Redis answered PING), or undefined when they can. */
export async function redisSkipReason(): Promise<string | undefined> {
  if (await pingRedis(REDIS_URL)) return undefined;
  return `no Redis answered PING at ${REDIS_URL.replace(/\/\/[^/@]*@/, '//[credentials]@')}`;
}

/**
 * Starts everything the Redis rows need before the first is measured: the simulated WeCom of the
 * count runs, the reply sink, one server child per hot path (side by side) and each path's request
 * pool. If a part fails, what was started is stopped.
 */
export async function prepareRedis(
  options: InboundOptions,
  /** The answer of `redisSkipReason()` when it was asked already (default: ask now). */
  checked?: { skipped: string | undefined },
): Promise<RedisPrepared | { skipped: string }> {
  const skipped = checked ? checked.skipped : await redisSkipReason();
  if (skipped !== undefined) {
    console.log(`  Redis rows skipped: ${skipped}`);
    return { skipped };
  }
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const client = newIoRedis(REDIS_URL);
  const started: Promise<ChildServer>[] = [];
  let sim: WeComSimulator | undefined;
  try {
    sim = await startWeComSimulator({
      apps: [
        {
          name: HOT_APP.name,
          corpId: HOT_APP.corpId,
          corpSecret: HOT_APP.corpSecret,
          agentId: HOT_APP.agentId,
        },
      ],
    });
    // The load runs' replies go to a child process of their own; the count runs' to `sim` here.
    const sinkStarting = startChild('bench/reply-sink.ts', { dist: benchFromDist() });
    started.push(sinkStarting);
    const sink = await sinkStarting;
    const urls = await sink.request<{ sim: string; responseUrl: string }>('urls', 'urls');
    const starting = HOT_PATHS.map((path) => {
      const prefix = `wecom-bench:${runId}:load:${path}:`;
      const child = startChild('bench/redis-server.ts', {
        args: [JSON.stringify({ path, redisUrl: REDIS_URL, prefix, apiBase: urls.sim })],
        dist: benchFromDist(),
      });
      started.push(child);
      child.catch(() => {});
      return { path, prefix, child };
    });
    const paths: RedisPrepared['paths'] = new Map();
    for (const { path, prefix, child } of starting) {
      const pool = poolFor(path, urls.responseUrl, prefix.split(':')[1]!);
      // Enough for the first warm-up at the assumed rate; later runs reserve what they need.
      await pool.fill(Math.ceil(REDIS_FIRST_RATE * (options.warmup + 0.1)));
      paths.set(path, { prefix, child: await child, pool });
    }
    return { runId, client, sim, sink, paths };
  } catch (error) {
    await Promise.allSettled(started.map((child) => child.then((c) => c.stop(10_000))));
    await sim?.close();
    client.disconnect();
    throw error;
  }
}

export async function runRedis(
  options: InboundOptions & { countCallbacks?: number },
  prepared?: RedisPrepared | { skipped: string },
): Promise<RedisResults> {
  const ready = prepared ?? (await prepareRedis(options));
  if (!('paths' in ready)) return { url: REDIS_URL, rows: [], skipped: ready.skipped };
  const { runId, client, sim, paths } = ready;
  const rows: RedisRow[] = [];
  const cleaning: Promise<unknown>[] = [];
  try {
    for (const path of HOT_PATHS) {
      const started = Date.now();
      const countPrefix = `wecom-bench:${runId}:count:${path}:`;
      const count = await countHotPath(path, {
        client,
        prefix: countPrefix,
        sim,
        callbacks: options.countCallbacks ?? 5,
        createStore: (c, prefix) => createRedisStore({ client: c as Redis, prefix }),
      });
      await deleteUnder(client, countPrefix);
      sim.clearCalls();
      const { prefix, child, pool } = paths.get(path)!;
      try {
        rows.push(await measurePath(path, child, pool, count, options));
      } finally {
        // In the background: the next row begins with its count run.
        cleaning.push(child.stop(10_000).then(() => deleteUnder(client, prefix)));
      }
      console.log(`  measured Redis row: ${HOT_PATH_LABELS[path]} (${took(started)})`);
    }
  } finally {
    await Promise.allSettled(cleaning);
    await releaseRedis(ready);
  }
  return { url: REDIS_URL, rows };
}

/** Stops the children, the sink and the simulator of a preparation and deletes every key of its run. */
export async function releaseRedis(prepared: RedisPrepared): Promise<void> {
  await Promise.allSettled([...prepared.paths.values()].map(({ child }) => child.stop(10_000)));
  await prepared.sink.stop();
  await prepared.sim.close();
  // Nothing of this run may stay behind.
  await deleteUnder(prepared.client, `wecom-bench:${prepared.runId}:`);
  prepared.client.disconnect();
}

/** Requests per second a Redis row's route is assumed to reach before its first run. */
const REDIS_FIRST_RATE = 8000;

/** The same signed callbacks on /memory and on /redis, made as the runs need them. */
function poolFor(path: HotPathName, responseUrl: string, tag: string): SignedPool<'memory' | 'redis'> {
  return new SignedPool(
    ['memory', 'redis'],
    (first, count) => {
      const signed = Array.from({ length: count }, (_, n) => {
        const i = first + n;
        return hotPathCallback(path, i, {
          tag,
          from: `user-${String(i % 1000).padStart(4, '0')}`,
          // Every bot message carries its response_url (WeCom's do); only one path posts to it.
          ...(path === 'app-message-send'
            ? {}
            : { responseUrl: `${responseUrl}/cgi-bin/aibot/response?response_code=bench${tag}${i}` }),
        });
      });
      return {
        memory: signed.map((s) => rawRequest(`/memory${s.search}`, s.body, CONTENT_TYPE[path])),
        redis: signed.map((s) => rawRequest(`/redis${s.search}`, s.body, CONTENT_TYPE[path])),
      };
    },
    REDIS_FIRST_RATE,
  );
}

async function measurePath(
  path: HotPathName,
  child: ChildServer,
  pool: SignedPool<'memory' | 'redis'>,
  count: HotPathCount,
  options: InboundOptions,
): Promise<RedisRow> {
  const memory = new Cursor(pool.routes.memory);
  const redis = new Cursor(pool.routes.redis);
  if (options.warmup > 0) {
    await pool.run(child.url, options.warmup, options.connections, memory);
    await pool.run(child.url, options.warmup, options.connections, redis);
  }
  const rounds = options.rounds ?? 3;
  const seconds = options.duration / rounds;
  const cpu = () => child.request<number>('cpu', 'cpu');
  const idle = () => child.request<boolean>('idle', 'idle', 120_000);
  // A route's figures include the replies its callbacks left in the background: req/s is the
  // callbacks answered over the run plus the time their replies took to go out, CPU likewise.
  const measure = async (cursor: Cursor) => {
    await pool.reserve(cursor, seconds);
    await idle();
    const before = await cpu();
    const started = performance.now();
    const result = await pool.run(child.url, seconds, options.connections, cursor);
    await idle();
    const elapsed = (performance.now() - started) / 1000;
    const f = figures(result, (await cpu()) - before);
    return { ...f, rps: result.requests.total / Math.max(elapsed, seconds) };
  };
  const runs: { memory: RouteFigures[]; redis: RouteFigures[] } = { memory: [], redis: [] };
  for (let i = 0; i < rounds; i++) {
    runs.memory.push(await measure(memory));
    runs.redis.push(await measure(redis));
  }
  const stats = await child.request<{
    commands: number;
    byLabel: Record<string, number>;
    callbacks: number;
    failed: Record<string, number>;
  }>('redis', 'redis', 60_000);
  // Dispatched in the child: autocannon's totals leave out the requests in flight when a run ends.
  const callbacks = Math.max(1, stats.callbacks);
  const m = median(runs.memory);
  const r = median(runs.redis);
  return {
    path,
    label: HOT_PATH_LABELS[path],
    memory: m,
    redis: r,
    ratio: r.rps / m.rps,
    commandsUnderLoad: stats.commands / callbacks,
    commandsUnderLoadByLabel: Object.fromEntries(
      Object.entries(stats.byLabel).map(([label, n]) => [label, Number((n / callbacks).toFixed(3))]),
    ),
    count,
    poolWrapped: memory.wrapped || redis.wrapped,
    repliesFailed: stats.failed,
  };
}

const avg = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export function printRedis(results: RedisResults, options: InboundOptions): string {
  if (results.skipped) return `(r) Redis rows: skipped (${results.skipped})`;
  const rounds = options.rounds ?? 3;
  const out = [
    `(r) Redis store (@maven/wecom-redis on ioredis, ${results.url}) against the memory store, node:http, same child server — autocannon, ${options.connections} connections, ${options.duration} s per route (median of ${rounds} interleaved runs) after ${options.warmup} s warm-up`,
    table([
      [
        'hot path',
        'memory req/s',
        'Redis req/s',
        'Redis / memory',
        'memory p50 / p99 ms',
        'Redis p50 / p99 ms',
        'server CPU µs/req memory / Redis',
        'Redis commands / callback (one at a time / under load)',
        'round trips / callback (mean, most)',
        'non-2xx + errors',
        'replies failed memory / Redis',
      ],
      ...results.rows.map((row) => [
        row.label,
        fmt(row.memory.rps),
        fmt(row.redis.rps),
        `${row.ratio.toFixed(2)}${row.ratio >= 0.7 ? '' : ' (< 0.7)'}`,
        `${row.memory.p50} / ${row.memory.p99}`,
        `${row.redis.p50} / ${row.redis.p99}`,
        `${row.memory.cpuUs.toFixed(0)} / ${row.redis.cpuUs.toFixed(0)}`,
        `${fmt(avg(row.count.commands), 2)} / ${fmt(row.commandsUnderLoad, 2)}`,
        `${fmt(avg(row.count.trips), 2)}, most ${Math.max(...row.count.trips)}${Math.max(...row.count.trips) <= 2 ? '' : ' (> 2)'}`,
        `${[row.memory, row.redis].reduce((n, f) => n + f.non2xx + f.errors, 0)}${row.poolWrapped ? ' (pool wrapped)' : ''}`,
        `${row.repliesFailed.memory ?? 0} / ${row.repliesFailed.redis ?? 0}`,
      ]),
    ]),
    '    Round trips of the callback with the most, each with its commands in the order issued (run to completion):',
  ];
  for (const row of results.rows) {
    const load = Object.entries(row.commandsUnderLoadByLabel)
      .map(([label, n]) => `${label} ${fmt(n, 2)}`)
      .join(', ');
    out.push(`    ${row.label} (under load, per callback: ${load}):`);
    row.count.sequence.forEach((trip, i) => {
      out.push(`      ${i + 1}. ${trip.join(' + ')}`);
    });
  }
  out.push(
    '    round trips = 0→1 transitions of the commands in flight on the one connection (pipelined commands share one;',
    '    independent background writes share one when they overlap by chance, hence mean ≤ most);',
    '    req/s = callbacks answered / (run + the time their replies took to go out); the next run starts when all went out.',
    '    replies sent actively go to the simulated WeCom (message/send) or a loopback response_url endpoint (bench/reply-sink.ts, its own process).',
  );
  return out.join('\n');
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options: InboundOptions = {
    duration: Number(argValue('--duration') ?? 6),
    warmup: Number(argValue('--warmup') ?? 1),
    connections: 50,
  };
  console.log(printRedis(await runRedis(options), options));
}
