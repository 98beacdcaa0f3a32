/**
 * RedisStore on a real 3-master Redis Cluster (started by this file, stopped after it), through
 * ioredis `Cluster` and node-redis `createCluster`. Every store operation touches one key, so the
 * keys of one namespace spread over all masters; an operation on two keys without a shared hash
 * tag would fail here with CROSSSLOT.
 */
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisClientKind, type RedisClientLike } from '../src/index.ts';
import * as scripts from '../src/scripts.ts';
import { KINDS, uniquePrefix } from './clients.ts';
import { startRedisCluster } from './redis-cluster.ts';
import { skipWithoutRedis } from './redis-server.ts';
import { storeContract } from './store-contract.ts';

const cluster = await startRedisCluster();
const skip = skipWithoutRedis({
  url: '',
  host: '',
  port: 0,
  owned: false,
  mode: 'none',
  ...(cluster.skipReason ? { skipReason: cluster.skipReason } : {}),
  stop: async () => {},
  start: async () => {},
});
afterAll(() => cluster.stop());

interface ClusterClient {
  client: RedisClientLike;
  close(): Promise<void>;
}

async function connectCluster(kind: RedisClientKind): Promise<ClusterClient> {
  if (kind === 'ioredis') {
    const client = new Cluster(cluster.nodes, {
      clusterRetryStrategy: () => 50,
      redisOptions: { connectTimeout: 500 },
    });
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('end', () => reject(new Error('ioredis Cluster ended before ready')));
    });
    return { client, close: async () => client.disconnect() };
  }
  const client = createCluster({
    rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    defaults: { socket: { reconnectStrategy: () => 50, connectTimeout: 500 } },
  });
  client.on('error', () => {});
  await client.connect();
  return { client, close: async () => client.destroy() };
}

describe.skipIf(skip)('a real 3-master Redis Cluster', () => {
  let raw: Cluster;
  beforeAll(async () => {
    raw = new Cluster(cluster.nodes);
    raw.on('error', () => {});
  });
  afterAll(() => raw?.disconnect());

  it('is three masters that all cover the 16384 slots', async () => {
    expect(cluster.nodes).toHaveLength(3);
    const masters = raw.nodes('master');
    await raw.set('probe', '1', 'PX', 5000);
    expect(masters).toHaveLength(3);
  });

  it('refuses a two-key script on keys without a shared hash tag (CROSSSLOT), runs it with one', async () => {
    const script = "return redis.call('GET', KEYS[1]) == redis.call('GET', KEYS[2]) and 1 or 0";
    // 'a' and 'b' hash to different slots (15495, 3300).
    const error = await raw.eval(script, 2, 'wecom:a', 'wecom:b').catch((e: unknown) => e);
    expect(String(error)).toMatch(/CROSSSLOT/);
    expect(await raw.eval(script, 2, '{wecom}:a', '{wecom}:b')).toBe(1);
  });

  it("every store script declares one key: no KEYS[2] in any script's source", () => {
    const sources = Object.values(scripts).map((s) => s.source);
    expect(sources.length).toBeGreaterThanOrEqual(2);
    for (const source of sources) {
      expect(source).toMatch(/KEYS\[1\]/);
      expect(source).not.toMatch(/KEYS\[(?:[2-9]|\d\d)\]/);
    }
  });

  for (const kind of KINDS) {
    describe(`RedisStore on ${kind} Cluster`, () => {
      let a: ClusterClient;
      let b: ClusterClient;
      beforeAll(async () => {
        a = await connectCluster(kind);
        b = await connectCluster(kind);
      });
      afterAll(async () => {
        await a?.close();
        await b?.close();
      });

      storeContract(`RedisStore (${kind} Cluster)`, () => {
        const prefix = uniquePrefix(`${kind}-cluster`);
        return {
          store: createRedisStore({ client: a.client, prefix }),
          peer: createRedisStore({ client: b.client, prefix }),
        };
      });

      it('every operation works on keys held by each of the three masters', async () => {
        const prefix = uniquePrefix(`${kind}-spread`);
        const store = createRedisStore({ client: a.client, prefix });
        const peer = createRedisStore({ client: b.client, prefix });
        const keys = Array.from({ length: 30 }, (_, i) => `dedup:bot:m${i}`);
        for (const key of keys) {
          expect(await store.setIfAbsent(key, 'claim', { ttlMs: 60_000 })).toBe(true);
          expect(await peer.compareAndSet(key, 'claim', 'done', { ttlMs: 60_000 })).toBe(true);
          expect(await store.get(key)).toBe('done');
        }
        const owners = new Set<string>();
        for (const key of keys) {
          const slot = Number(await raw.cluster('KEYSLOT', prefix + key));
          const master = raw.slots[slot]?.[0];
          expect(master, key).toBeDefined();
          owners.add(String(master));
          expect(await raw.get(prefix + key)).toBe('done');
        }
        expect(owners.size).toBe(3);
        for (const key of keys) expect(await peer.compareAndDelete(key, 'done')).toBe(true);
        for (const key of keys) expect(await store.get(key)).toBeUndefined();
      });
    });
  }
});
