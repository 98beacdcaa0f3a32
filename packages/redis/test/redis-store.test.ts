import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { WeComConfigError } from '@maven/wecom-core';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, RedisStore, WeComStoreError } from '../src/index.ts';
import { APPEND_LINE, COMPARE_AND_DELETE, COMPARE_AND_SET } from '../src/scripts.ts';
import { connectClient, KINDS, newIoRedis, type TestClient, uniquePrefix } from './clients.ts';
import { getTestRedis, skipWithoutRedis } from './redis-server.ts';
import { storeContract } from './store-contract.ts';

const redis = await getTestRedis();
const skip = skipWithoutRedis(redis);
const LONG = { ttlMs: 60_000 };

async function keysUnder(raw: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found.sort();
}

describe('RedisStore configuration (no server needed)', () => {
  // Real clients that never connect: ioredis with lazyConnect, node-redis before connect().
  const io = new Redis({ lazyConnect: true });
  const nr = createClient();
  afterAll(() => io.disconnect());

  it('detects the client library by its shape, or takes it from kind', () => {
    expect(createRedisStore({ client: io }).kind).toBe('ioredis');
    expect(createRedisStore({ client: nr }).kind).toBe('node-redis');
    expect(createRedisStore({ client: nr, kind: 'node-redis' }).kind).toBe('node-redis');
    expect(new RedisStore({ client: io }).prefix).toBe('wecom:');
    // Clusters have the same command surface (the scripts touch one key each).
    const ioCluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(createRedisStore({ client: ioCluster }).kind).toBe('ioredis');
    ioCluster.disconnect();
    expect(
      createRedisStore({ client: createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] }) }).kind,
    ).toBe('node-redis');
    expect(new RedisStore({ client: io, prefix: 'bot-a:' }).prefix).toBe('bot-a:');
  });

  it('refuses what is not a client, unknown options and bad values eagerly', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { client: undefined },
      { client: {} },
      { client: { get() {}, set() {} } },
      { client: io, kind: 'node-redis' },
      { client: nr, kind: 'memcached' },
      { client: io, commandTimeoutMs: 0 },
      { client: io, commandTimeoutMs: Number.NaN },
      { client: io, maxTtlMs: -1 },
      { client: io, prefix: 42 },
      { client: io, ownsClient: 'yes' },
      { client: io, timeout: 100 },
    ];
    for (const options of bad)
      expect(() => createRedisStore(options as never), inspect(options, { depth: 0 })).toThrow(
        WeComConfigError,
      );
  });

  it('the fixed script digests are the SHA-1 of the script sources', () => {
    for (const script of [COMPARE_AND_SET, COMPARE_AND_DELETE, APPEND_LINE])
      expect(createHash('sha1').update(script.source).digest('hex')).toBe(script.sha1);
  });
});

for (const kind of KINDS) {
  describe.skipIf(skip)(`RedisStore on ${kind} (real Redis)`, () => {
    let a: TestClient;
    let b: TestClient;
    let raw: Redis;
    beforeAll(async () => {
      a = await connectClient(kind, redis.url);
      b = await connectClient(kind, redis.url);
      raw = newIoRedis(redis.url);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      raw?.disconnect();
    });

    storeContract(`RedisStore (${kind})`, () => {
      const prefix = uniquePrefix(kind);
      return {
        store: createRedisStore({ client: a.client, prefix }),
        peer: createRedisStore({ client: b.client, prefix }),
      };
    });

    it('namespaces keys: a raw client sees exactly the prefixed keys, other prefixes see nothing', async () => {
      const prefix = uniquePrefix(`${kind}-ns`);
      const other = uniquePrefix(`${kind}-ns-other`);
      const store = createRedisStore({ client: a.client, prefix });
      const neighbour = createRedisStore({ client: b.client, prefix: other });
      await store.set('dedup:bot:m1', '1', LONG);
      await store.setIfAbsent('token:corp:1000002', 'tok', LONG);
      expect(await keysUnder(raw, prefix)).toEqual([`${prefix}dedup:bot:m1`, `${prefix}token:corp:1000002`]);
      expect(await raw.get(`${prefix}token:corp:1000002`)).toBe('tok');
      expect(await neighbour.get('dedup:bot:m1')).toBeUndefined();
      expect(await neighbour.setIfAbsent('dedup:bot:m1', '1', LONG)).toBe(true);
      expect(await keysUnder(raw, other)).toEqual([`${other}dedup:bot:m1`]);
    });

    it("uses 'wecom:' as the default prefix", async () => {
      const store = createRedisStore({ client: a.client });
      const key = uniquePrefix(`${kind}-default`);
      await store.set(key, 'v', LONG);
      expect(await raw.get(`wecom:${key}`)).toBe('v');
      expect(await store.delete(key)).toBe(true);
    });

    it('leaves no key without a TTL: every key written has 0 < PTTL <= its TTL', async () => {
      const prefix = uniquePrefix(`${kind}-ttl`);
      const store = createRedisStore({ client: a.client, prefix });
      await store.set('set', 'v', LONG);
      await store.set('overwritten', 'v', LONG);
      await store.set('overwritten', 'v2', LONG);
      await store.setIfAbsent('sia', 'v', LONG);
      await store.setIfAbsent('sia', 'again', LONG);
      await store.compareAndSet('cas-new', undefined, 'v', LONG);
      await store.set('cas', 'v1', LONG);
      await store.compareAndSet('cas', 'v1', 'v2', LONG);
      await store.compareAndSet('cas', 'wrong', 'v3', LONG);
      await store.set('deleted', 'v', LONG);
      await store.delete('deleted');
      await store.set('released', 'owner', LONG);
      await store.compareAndDelete('released', 'owner');
      const keys = await keysUnder(raw, prefix);
      expect(keys).toEqual(['cas', 'cas-new', 'overwritten', 'set', 'sia'].map((k) => prefix + k));
      for (const key of keys) {
        const pttl = await raw.pttl(key);
        expect(pttl, key).toBeGreaterThan(0);
        expect(pttl, key).toBeLessThanOrEqual(LONG.ttlMs);
      }
    });

    it('caps TTLs at maxTtlMs, as the memory store does', async () => {
      const prefix = uniquePrefix(`${kind}-cap`);
      const store = createRedisStore({ client: a.client, prefix, maxTtlMs: 5_000 });
      await store.set('k', 'v', { ttlMs: 3_600_000 });
      await store.compareAndSet('k', 'v', 'v2', { ttlMs: 3_600_000 });
      const pttl = await raw.pttl(`${prefix}k`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(5_000);
    });

    it('runs the scripts again after the server lost them (EVALSHA, then EVAL on NOSCRIPT)', async () => {
      const store = createRedisStore({ client: a.client, prefix: uniquePrefix(`${kind}-noscript`) });
      await store.set('k', 'v1', LONG);
      await raw.script('FLUSH');
      expect(await raw.script('EXISTS', COMPARE_AND_SET.sha1)).toEqual([0]);
      expect(await store.compareAndSet('k', 'v1', 'v2', LONG)).toBe(true);
      expect(await raw.script('EXISTS', COMPARE_AND_SET.sha1)).toEqual([1]);
      await raw.script('FLUSH');
      expect(await store.compareAndDelete('k', 'v2')).toBe(true);
      expect(await store.get('k')).toBeUndefined();
    });

    it('a key holding another Redis type is a store_error, not an outage', async () => {
      const prefix = uniquePrefix(`${kind}-type`);
      const store = createRedisStore({ client: a.client, prefix });
      await raw.lpush(`${prefix}list`, 'x');
      await raw.pexpire(`${prefix}list`, 60_000);
      for (const attempt of [
        () => store.get('list'),
        () => store.compareAndSet('list', 'x', 'y', LONG),
        () => store.compareAndDelete('list', 'x'),
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WeComStoreError);
        expect((error as WeComStoreError).code).toBe('store_error');
        expect((error as WeComStoreError).message).toMatch(/WRONGTYPE/);
      }
    });

    it('close() leaves a client passed in open; the closed store refuses operations', async () => {
      const c = await connectClient(kind, redis.url);
      try {
        const store = createRedisStore({ client: c.client, prefix: uniquePrefix(`${kind}-close`) });
        await store.set('k', 'v', LONG);
        await store.close();
        await store.close();
        expect(c.isOpen()).toBe(true);
        const again = createRedisStore({ client: c.client, prefix: store.prefix });
        expect(await again.get('k')).toBe('v');
        const error = await store.get('k').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WeComStoreError);
        expect(error).toMatchObject({ code: 'store_unavailable', operation: 'get' });
      } finally {
        await c.close();
      }
    });

    it('close() quits the client when ownsClient is true', async () => {
      const c = await connectClient(kind, redis.url);
      const store = createRedisStore({
        client: c.client,
        prefix: uniquePrefix(`${kind}-owns`),
        ownsClient: true,
      });
      await store.set('k', 'v', LONG);
      await store.close();
      expect(c.isOpen()).toBe(false);
      await c.close();
    });
  });
}
