/**
 * Redis commands and round trips per callback on the three inbound hot paths (issue 20), on the
 * real Redis, counted by a wrapper around the ioredis client (counting-client.ts): callbacks sent
 * one at a time over real HTTP, each run to completion (answered, reply delivered to the simulated
 * WeCom, background writes back), so what the store sends in the background is counted too.
 * Counts only; nothing here measures time.
 */
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/index.ts';
import { newIoRedis, uniquePrefix } from './clients.ts';
import { countHotPath, HOT_APP, HOT_PATH_LABELS, type HotPathName } from './hot-paths.ts';
import { getTestRedis, skipWithoutRedis } from './redis-server.ts';

/**
 * The expected figures per callback, in one place: the exact number of commands, and the most
 * round trips a callback may take. Independent background writes share a round trip when they
 * happen to overlap in time, so fewer is fine; more is a regression. Target (issue 20): at most 2
 * round trips for the callback's own writes.
 */
const EXPECTED: Record<HotPathName, { commands: number; maxTrips: number }> = {
  // 1 SET NX dedup claim + SET target + EVALSHA appendLine chat index (started together) | 2 SET dedup done
  'bot-passive': { commands: 4, maxTrips: 2 },
  // the same two, then the late reply's own single-use claim, SET NX response_url (3), written when
  // the reply goes out, after the callback was answered (the claim then marks the URL used)
  'bot-response-url': { commands: 5, maxTrips: 3 },
  // 1 SET NX dedup claim | 2 SET dedup done (the access token is held in memory after the first callback)
  'app-message-send': { commands: 2, maxTrips: 2 },
};
const CALLBACKS = 4;

const redis = await getTestRedis();
const skip = skipWithoutRedis(redis);
let client: Redis;
let sim: WeComSimulator;
const prefixes: string[] = [];

beforeAll(async () => {
  if (skip) return;
  client = newIoRedis(redis.url);
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
});

afterAll(async () => {
  if (skip) return;
  for (const prefix of prefixes) {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  }
  client.disconnect();
  await sim.close();
});

describe.skipIf(skip)('Redis commands and round trips per callback (RedisStore on ioredis)', () => {
  it.each(Object.entries(EXPECTED) as [HotPathName, { commands: number; maxTrips: number }][])(
    '%s',
    async (name, expected) => {
      const prefix = uniquePrefix(`hot-${name}`);
      prefixes.push(prefix);
      const count = await countHotPath(name, {
        client,
        prefix,
        sim,
        callbacks: CALLBACKS,
        createStore: (c, p) => createRedisStore({ client: c as Redis, prefix: p }),
      });
      const shown = `${HOT_PATH_LABELS[name]}: ${JSON.stringify(count.sequence)}`;
      // Every callback of the path costs the same (none is a first one: a warm-up ran before).
      expect(count.commands, shown).toEqual(Array(CALLBACKS).fill(expected.commands));
      for (const trips of count.trips) {
        expect(trips, shown).toBeGreaterThanOrEqual(1);
        expect(trips, shown).toBeLessThanOrEqual(expected.maxTrips);
      }
      // The worst callback's round trips carry every command of a callback.
      expect(count.sequence.flat().length, shown).toBe(expected.commands);
      // The count was complete: nothing reached Redis after the last callback had settled.
      expect(count.afterSettled).toBe(0);
      // Every write carries its TTL in the same command.
      const sets = count.sequence.flat().filter((c) => c.startsWith('SET '));
      for (const set of sets) expect(set).toMatch(/^SET PX /);
      // And the keys it wrote are there, under this run's prefix only.
      expect((await client.keys(`${prefix}*`)).length).toBeGreaterThan(0);
    },
  );
});
