/**
 * A fleet of example processes sharing one Redis: started together, read through their log lines,
 * stopped together. Outcomes are counted from the simulator's records and the processes' logs,
 * never from clocks.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { type StartedExample, startExample } from '../../../examples/test-support/child.js';
import {
  getTestRedis,
  skipWithoutRedis,
  startOwnRedis,
  type TestRedis,
} from '../../../packages/redis/test/redis-server.js';

export type { StartedExample, TestRedis };

export const MAVEN_BOT = 'examples/maven-bot/src/main.ts';
export const HERMES_CALLBACK = 'examples/hermes-callback/src/main.ts';

/** A running replica and its name in the fleet (A, B, …). */
export interface Replica extends StartedExample {
  readonly name: string;
}

/** Starts `count` processes of one example at once; if one fails, the others are stopped. */
export async function startFleet(
  entry: string,
  count: number,
  args: (index: number) => string[],
  env: Record<string, string> = {},
): Promise<Replica[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startExample(entry, args(i), { env, timeoutMs: 60_000 }).then((child) =>
        Object.assign(child, { name: String.fromCharCode(65 + i) }),
      ),
    ),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    await stopFleet(running);
    throw failed.reason;
  }
  return running;
}

export async function stopFleet(fleet: readonly (StartedExample | undefined)[] | undefined): Promise<void> {
  await Promise.all((fleet ?? []).map((child) => child?.stop('SIGKILL')));
}

/** Log lines `[name] level: <event> {...}` of one process whose fields contain every `"key":"value"`. */
export function logLines(
  child: StartedExample,
  event: string,
  fields: Record<string, string> = {},
): string[] {
  const wanted = Object.entries(fields).map(([key, value]) => `"${key}":${JSON.stringify(value)}`);
  return child.stderr.filter(
    (line) => line.includes(`: ${event}`) && wanted.every((field) => line.includes(field)),
  );
}

/** The same, summed over a fleet. */
export function fleetCount(
  fleet: readonly StartedExample[],
  event: string,
  fields: Record<string, string> = {},
): number {
  return fleet.reduce((n, child) => n + logLines(child, event, fields).length, 0);
}

/** Waits for a log line of `event` with `fields` on one process (no clock involved but a cap). */
export function waitForLog(
  child: StartedExample,
  event: string,
  fields: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<string> {
  const wanted = Object.entries(fields).map(([key, value]) => `"${key}":${JSON.stringify(value)}`);
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`: ${quote(event)}${wanted.map((w) => `(?=.*${quote(w)})`).join('')}`);
  return child.waitForLine(pattern, { stream: 'stderr', timeoutMs });
}

/** Resolves once `check()` holds, re-checked after each `step()` (e.g. one probe request), at most `max` steps. */
export async function until(
  what: string,
  check: () => boolean,
  step: () => Promise<unknown>,
  max = 100,
): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (check()) return i;
    await step();
  }
  if (check()) return max;
  throw new Error(`gave up after ${max} steps waiting for ${what}`);
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A short random tag: this run's corp ids, app names and message ids never meet another run's keys. */
export function runTag(): string {
  return randomBytes(6).toString('hex');
}

/** A 63-bit message id base, random per run (WeCom's MsgId is a 64-bit integer). */
export function msgIdBase(): bigint {
  return BigInt(`0x${randomBytes(8).toString('hex')}`) & 0x3fff_ffff_ffff_0000n;
}

/**
 * The shared test Redis, or undefined when there is none: the file's tests then skip with one loud
 * line, unless WECOM_REQUIRE_REDIS=1 makes that a failure. In the replicas-cluster project it is
 * the 3-master Redis Cluster of cluster-setup.ts (a `?cluster=true` URL); otherwise REDIS_URL, else
 * a private redis-server.
 */
export async function sharedRedis(): Promise<TestRedis | undefined> {
  const cluster = inject('redisCluster');
  const redis =
    cluster === undefined
      ? await getTestRedis()
      : 'url' in cluster
        ? await getTestRedis({ url: cluster.url })
        : await getTestRedis({ url: 'redis://127.0.0.1:1', searchPath: '' }).then((r) => ({
            ...r,
            skipReason: cluster.skipReason,
          }));
  return skipWithoutRedis(redis) ? undefined : redis;
}

/** A private Redis this file may kill and restart on the same port (see startOwnRedis). */
export async function ownRedis(): Promise<TestRedis | undefined> {
  const redis = await startOwnRedis();
  return skipWithoutRedis(redis) ? undefined : redis;
}

/**
 * What /proc tells of a running process (Linux; zeros where it cannot be read): its peak resident
 * memory so far (bytes), the CPU time it used (ms) and the file descriptors it holds (sockets
 * included).
 */
export function processFigures(child: StartedExample): { maxRss: number; cpuMs: number; fds: number } {
  const pid = child.process.pid;
  const read = <T>(f: () => T, fallback: T): T => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  const maxRss = read(() => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  }, 0);
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  const cpuMs = read(() => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }, 0);
  const fds = read(() => readdirSync(`/proc/${pid}/fd`).length, 0);
  return { maxRss, cpuMs, fds };
}

/** A process' peak resident memory so far, bytes. */
export function peakRss(child: StartedExample): number {
  return processFigures(child).maxRss;
}

/** An app as the fleets configure it (hermes-callback's `extra.apps[]`, in the SDK's names). */
export interface FleetApp {
  name: string;
  corpId: string;
  corpSecret: string;
  agentId: number;
  token: string;
  encodingAESKey: string;
}

/** examples/maven-bot's JSON config: the echo agent and `channels.wecom` with these fields. */
export function mavenBotConfig(
  wecom: { token: string; encodingAESKey: string } & Record<string, unknown>,
): string {
  return JSON.stringify({
    agents: { default: 'echo' },
    channels: { wecom: { enabled: true, receiveId: '', port: 9886, proxy: '', ...wecom } },
  });
}

/** examples/hermes-callback's config (JSON is YAML): `platforms.wecom_callback.extra` with these apps. */
export function hermesConfig(apps: readonly FleetApp[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    platforms: {
      wecom_callback: {
        enabled: true,
        extra: {
          host: '127.0.0.1',
          ...extra,
          apps: apps.map((a) => ({
            name: a.name,
            corp_id: a.corpId,
            corp_secret: a.corpSecret,
            agent_id: String(a.agentId),
            token: a.token,
            encoding_aes_key: a.encodingAESKey,
          })),
        },
      },
    },
  });
}
