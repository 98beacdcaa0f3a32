/**
 * bench/results.json: the figures of one `pnpm bench` run, machine-readable, beside the printed
 * tables. One entry per inbound row (adapter, route, req/s of bare, floor and SDK, ratios, server
 * CPU µs per request, p50/p99 latency, Redis commands and round trips per callback where measured),
 * the Redis rows, the growth figures, and (merged in by scripts/bench.mjs) the streamed media's
 * peak RSS; with the Node version and the load average at start and end.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { GrowthResults } from '../growth.bench.ts';
import type { InboundOptions, InboundResults, InboundRow, RouteFigures } from '../inbound.bench.ts';
import type { RedisResults } from '../redis.bench.ts';
import { REPO_ROOT } from './frameworks.ts';

export const RESULTS_FILE = resolve(REPO_ROOT, 'bench/results.json');

export interface MachineInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** The 1, 5 and 15 minute load averages, rounded. */
export function loadAverage(): number[] {
  return loadavg().map((l) => Number(l.toFixed(2)));
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

function route(f: RouteFigures) {
  return {
    rps: round(f.rps),
    cpuUsPerRequest: round(f.cpuUs),
    p50Ms: f.p50,
    p99Ms: f.p99,
    requests: f.requests,
    non2xx: f.non2xx,
    errors: f.errors,
  };
}

function inboundRow(kind: 'bot' | 'app', row: InboundRow) {
  const apps = kind === 'app' ? Number.parseInt(row.label, 10) : undefined;
  return {
    kind,
    label: row.label,
    adapter: row.adapter ?? 'node',
    route:
      kind === 'bot'
        ? 'POST /wecom/bot (1 KB text, passive reply)'
        : 'POST /wecom/callback (1 KB XML text, passive reply)',
    ...(apps === undefined ? {} : { apps }),
    store: 'memory',
    bare: route(row.bare),
    floor: route(row.floor),
    sdk: route(row.wecom),
    ratios: {
      sdkOverBare: round(row.ratio, 3),
      sdkOverFloor: round(row.wecom.rps / row.floor.rps, 3),
      floorOverBare: round(row.floor.rps / row.bare.rps, 3),
    },
    // The inbound rows run on the memory store: no Redis traffic (see `redis` for the Redis rows).
    redisCommandsPerCallback: null,
    redisRoundTripsPerCallback: null,
    poolWrapped: row.poolWrapped,
  };
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export interface ResultsInput {
  startedAt: Date;
  loadStart: number[];
  seconds: number;
  options: InboundOptions & { quick: boolean; selection: string | undefined };
  inbound: InboundResults | undefined;
  redis: RedisResults | undefined;
  growth: GrowthResults | undefined;
}

export function buildResults(input: ResultsInput) {
  const { options } = input;
  return {
    schema: 1,
    startedAt: input.startedAt.toISOString(),
    seconds: Math.round(input.seconds),
    ...machineInfo(),
    loadAverage: { start: input.loadStart, end: loadAverage() },
    options: {
      quick: options.quick,
      only: options.selection ?? null,
      durationSecondsPerRoute: options.duration,
      rounds: options.rounds ?? 3,
      warmupSeconds: options.warmup,
      connections: options.connections,
      from: process.env.WECOM_BENCH_FROM === 'src' ? 'src' : 'dist',
    },
    inbound: input.inbound
      ? [
          ...input.inbound.bot.map((row) => inboundRow('bot', row)),
          ...input.inbound.app.map((row) => inboundRow('app', row)),
        ]
      : null,
    redis: input.redis
      ? {
          url: input.redis.url.replace(/\/\/[^/@]*@/, '//[credentials]@'),
          skipped: input.redis.skipped ?? null,
          rows: input.redis.rows.map((row) => ({
            path: row.path,
            label: row.label,
            adapter: 'node',
            route:
              row.path === 'app-message-send'
                ? 'POST /redis and /memory (CallbackRouter)'
                : 'POST /redis and /memory (WeComBot)',
            memory: route(row.memory),
            redis: route(row.redis),
            ratioRedisOverMemory: round(row.ratio, 3),
            redisCommandsPerCallback: round(mean(row.count.commands), 2),
            redisRoundTripsPerCallback: round(mean(row.count.trips), 2),
            redisRoundTripsPerCallbackMost: Math.max(...row.count.trips),
            countedCallbacks: row.count.callbacks,
            roundTrips: row.count.sequence,
            redisCommandsPerCallbackUnderLoad: round(row.commandsUnderLoad, 3),
            redisCommandsUnderLoadByCommand: row.commandsUnderLoadByLabel,
            repliesFailed: row.repliesFailed,
            poolWrapped: row.poolWrapped,
          })),
        }
      : null,
    growth: input.growth ?? null,
    // Filled in by scripts/bench.mjs when bench/media-stream.bench.ts ran in the same `pnpm bench`.
    media: null as unknown,
  };
}

export function writeResults(results: ReturnType<typeof buildResults>): void {
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
}
