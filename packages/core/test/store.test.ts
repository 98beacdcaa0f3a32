import { describe, expect, it } from 'vitest';
import {
  createDefaultStore,
  Deduper,
  type Logger,
  MemoryStore,
  prefixStore,
  type Store,
  WeComConfigError,
} from '../src/index.js';

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('MemoryStore', () => {
  it('get/set/delete round trip', async () => {
    const store = new MemoryStore();
    expect(await store.get('a')).toBeUndefined();
    await store.set('a', '1', { ttlMs: 1000 });
    expect(await store.get('a')).toBe('1');
    await store.set('a', '2', { ttlMs: 1000 });
    expect(await store.get('a')).toBe('2');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toBeUndefined();
  });

  it('expires entries by TTL on the injected clock (including a clock that starts at 0)', async () => {
    const c = clock(0);
    const store = new MemoryStore({ now: c.now });
    await store.set('k', 'v', { ttlMs: 100 });
    c.advance(99);
    expect(await store.get('k')).toBe('v');
    c.advance(1);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.delete('k')).toBe(false);
    // An expired key counts as absent for every operation.
    await store.set('k', 'old', { ttlMs: 10 });
    c.advance(10);
    expect(await store.setIfAbsent('k', 'new', { ttlMs: 10 })).toBe(true);
    expect(await store.get('k')).toBe('new');
    c.advance(10);
    expect(await store.compareAndSet('k', undefined, 'again', { ttlMs: 10 })).toBe(true);
    c.advance(10);
    expect(await store.compareAndDelete('k', 'again')).toBe(false);
  });

  it('setIfAbsent writes once', async () => {
    const store = new MemoryStore();
    expect(await store.setIfAbsent('k', 'a', { ttlMs: 1000 })).toBe(true);
    expect(await store.setIfAbsent('k', 'b', { ttlMs: 1000 })).toBe(false);
    expect(await store.get('k')).toBe('a');
  });

  it('setIfAbsent under concurrency admits exactly one writer', async () => {
    const store = new MemoryStore();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.setIfAbsent('k', String(i), { ttlMs: 1000 })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('compareAndSet fences on the current value; expected undefined means absent', async () => {
    const store = new MemoryStore();
    expect(await store.compareAndSet('k', 'x', 'v1', { ttlMs: 1000 })).toBe(false);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.compareAndSet('k', undefined, 'v1', { ttlMs: 1000 })).toBe(true);
    expect(await store.compareAndSet('k', undefined, 'v2', { ttlMs: 1000 })).toBe(false);
    expect(await store.compareAndSet('k', 'v0', 'v2', { ttlMs: 1000 })).toBe(false);
    expect(await store.compareAndSet('k', 'v1', 'v2', { ttlMs: 1000 })).toBe(true);
    expect(await store.get('k')).toBe('v2');
  });

  it('compareAndDelete deletes only the expected value', async () => {
    const store = new MemoryStore();
    await store.set('lock', 'owner-a', { ttlMs: 1000 });
    expect(await store.compareAndDelete('lock', 'owner-b')).toBe(false);
    expect(await store.get('lock')).toBe('owner-a');
    expect(await store.compareAndDelete('lock', 'owner-a')).toBe(true);
    expect(await store.get('lock')).toBeUndefined();
    expect(await store.compareAndDelete('lock', 'owner-a')).toBe(false);
  });

  it('is bounded by maxEntries: 10x the bound keeps size within it, oldest evicted', async () => {
    const store = new MemoryStore({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) {
      await store.set(`k${i}`, String(i), { ttlMs: 60_000 });
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(store.size).toBe(100);
    expect(await store.get('k0')).toBeUndefined();
    expect(await store.get('k999')).toBe('999');
    for (let i = 0; i < 1000; i++) await store.setIfAbsent(`s${i}`, 'x', { ttlMs: 60_000 });
    expect(store.size).toBe(100);
  });

  it('clamps TTLs to maxTtlMs', async () => {
    const c = clock(1_000_000);
    const store = new MemoryStore({ now: c.now, maxTtlMs: 1000 });
    await store.set('k', 'v', { ttlMs: 10 * 3600_000 });
    c.advance(999);
    expect(await store.get('k')).toBe('v');
    c.advance(1);
    expect(await store.get('k')).toBeUndefined();
    await store.set('inf', 'v', { ttlMs: Number.POSITIVE_INFINITY });
    c.advance(1000);
    expect(await store.get('inf')).toBeUndefined();
  });

  it('validates ttlMs on every write and its options at construction', async () => {
    const store = new MemoryStore();
    for (const ttlMs of [0, -1, Number.NaN, '10' as unknown as number, undefined as unknown as number]) {
      await expect(store.set('k', 'v', { ttlMs })).rejects.toBeInstanceOf(WeComConfigError);
      await expect(store.setIfAbsent('k', 'v', { ttlMs })).rejects.toBeInstanceOf(WeComConfigError);
      await expect(store.compareAndSet('k', undefined, 'v', { ttlMs })).rejects.toBeInstanceOf(
        WeComConfigError,
      );
    }
    await expect(store.set('k', 'v', undefined as never)).rejects.toBeInstanceOf(WeComConfigError);
    await expect(store.set('k', { a: 1 } as never, { ttlMs: 10 })).rejects.toBeInstanceOf(WeComConfigError);
    expect(await store.get('k')).toBeUndefined();
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(WeComConfigError);
    expect(() => new MemoryStore({ maxEntries: 1.5 })).toThrow(WeComConfigError);
    expect(() => new MemoryStore({ maxTtlMs: 0 })).toThrow(WeComConfigError);
    expect(() => new MemoryStore({ maxTtlMs: -5 })).toThrow(WeComConfigError);
    expect(() => new MemoryStore({ now: 5 as never })).toThrow(WeComConfigError);
  });

  it('close() empties the store', async () => {
    const store = new MemoryStore();
    await store.set('k', 'v', { ttlMs: 1000 });
    await store.close();
    expect(store.size).toBe(0);
    expect(await store.get('k')).toBeUndefined();
  });
});

describe('prefixStore', () => {
  it('prefixes every operation and keeps views apart', async () => {
    const base = new MemoryStore();
    const a = prefixStore(base, 'bot-a:');
    const b = prefixStore(base, 'bot-b:');
    await a.set('k', '1', { ttlMs: 1000 });
    expect(await base.get('bot-a:k')).toBe('1');
    expect(await b.get('k')).toBeUndefined();
    expect(await b.setIfAbsent('k', '2', { ttlMs: 1000 })).toBe(true);
    expect(await a.setIfAbsent('k', '3', { ttlMs: 1000 })).toBe(false);
    expect(await a.compareAndSet('k', '1', '4', { ttlMs: 1000 })).toBe(true);
    expect(await a.get('k')).toBe('4');
    expect(await a.compareAndDelete('k', '1')).toBe(false);
    expect(await a.compareAndDelete('k', '4')).toBe(true);
    expect(await b.delete('k')).toBe(true);
    expect(await base.get('bot-b:k')).toBeUndefined();
    // A view does not own the shared store: it has no close().
    expect(a.close).toBeUndefined();
  });
});

function recordingLogger() {
  const warnings: Array<[string, unknown]> = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, fields) => warnings.push([message, fields]),
    error() {},
  };
  return { warnings, logger };
}

const failingStore: Store = {
  get: () => Promise.reject(new Error('down')),
  set: () => Promise.reject(new Error('down')),
  setIfAbsent: () => Promise.reject(new Error('redis down')),
  compareAndSet: () => Promise.reject(new Error('down')),
  delete: () => {
    throw new Error('sync throw');
  },
  compareAndDelete: () => Promise.reject(new Error('down')),
};

describe('Deduper', () => {
  it('first sighting true, duplicates false, scoped by prefix', async () => {
    const store = new MemoryStore();
    const dedup = new Deduper({ store, prefix: 'bot1:' });
    expect(await dedup.first('m1')).toBe(true);
    expect(await dedup.first('m1')).toBe(false);
    expect(await dedup.first('m2')).toBe(true);
    expect(await store.get('bot1:m1')).toBe('done');
    expect(await new Deduper({ store, prefix: 'bot2:' }).first('m1')).toBe(true);
    expect(await new Deduper({ store }).first('m9')).toBe(true);
    expect(await store.get('dedup:m9')).toBe('done');
  });

  it('concurrent duplicates: exactly one is first', async () => {
    const dedup = new Deduper({ store: new MemoryStore() });
    const results = await Promise.all(Array.from({ length: 20 }, () => dedup.first('same')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets after the TTL (default 5 minutes) and on forget()', async () => {
    const c = clock(0);
    const dedup = new Deduper({ store: new MemoryStore({ now: c.now }), now: c.now });
    expect(await dedup.first('m')).toBe(true);
    c.advance(5 * 60_000 - 1);
    expect(await dedup.first('m')).toBe(false);
    c.advance(1);
    expect(await dedup.first('m')).toBe(true);
    await dedup.forget('m');
    expect(await dedup.first('m')).toBe(true);
    const short = new Deduper({ store: new MemoryStore({ now: c.now }), ttlMs: 10, now: c.now });
    expect(await short.first('x')).toBe(true);
    c.advance(10);
    expect(await short.first('x')).toBe(true);
  });

  it('fails open with a warning when the store throws, the in-process guard still refusing repeats', async () => {
    const { warnings, logger } = recordingLogger();
    const dedup = new Deduper({ store: failingStore, logger });
    expect(await dedup.first('m')).toBe(true);
    expect(await dedup.first('m')).toBe(false); // this process remembers it
    expect(await dedup.first('n')).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]![0]).toContain('fail-open');
    expect((warnings[0]![1] as { error: Error }).error.message).toBe('redis down');
    await expect(dedup.forget('m')).resolves.toBeUndefined();
    expect(warnings).toHaveLength(3);
    // Without a logger it still fails open.
    expect(await new Deduper({ store: failingStore }).first('m')).toBe(true);
  });

  it('two phases: a claim holds for its lease, "done" for the TTL; a lapsed claim (its owner died) is claimed again', async () => {
    const c = clock(0);
    const store = new MemoryStore({ now: c.now });
    const a = new Deduper({ store, now: c.now, leaseMs: 4500, ttlMs: 300_000 });
    const b = new Deduper({ store, now: c.now, leaseMs: 4500, ttlMs: 300_000 });
    expect(await a.claim('m')).toBe('claimed');
    expect(await a.claim('m')).toBe('in_progress');
    expect(await b.claim('m')).toBe('in_progress');
    await a.complete('m');
    expect(await b.claim('m')).toBe('done');
    expect(await a.claim('m')).toBe('done');
    // Replica A claims and dies; WeCom re-delivers about 5 s after it sent the callback.
    expect(await a.claim('dead')).toBe('claimed');
    c.advance(5000);
    expect(await b.claim('dead')).toBe('claimed');
    c.advance(300_000);
    expect(await b.claim('m')).toBe('claimed');
  });

  it('the in-process guard is bounded', async () => {
    const dedup = new Deduper({ store: failingStore, localEntries: 3 });
    for (const id of ['a', 'b', 'c', 'd']) expect(await dedup.claim(id)).toBe('claimed');
    // 'a' was pushed out of the guard: with the Store down it is claimed again (at-least-once).
    expect(await dedup.claim('a')).toBe('claimed');
    expect(await dedup.claim('d')).toBe('in_progress');
  });

  it('validates its options at construction', () => {
    const store = new MemoryStore();
    expect(() => new Deduper({ store, leaseMs: 0 })).toThrow(WeComConfigError);
    expect(() => new Deduper({ store, ttlMs: 0 })).toThrow(WeComConfigError);
    expect(() => new Deduper({ store, ttlMs: Number.NaN })).toThrow(WeComConfigError);
    expect(() => new Deduper({} as never)).toThrow(WeComConfigError);
  });
});

describe('MemoryStore eviction of live entries', () => {
  it('counts and reports entries pushed out before their TTL, not expired ones', async () => {
    let now = 0;
    const evicted: string[] = [];
    const store = new MemoryStore({ maxEntries: 3, now: () => now, onEvict: ({ key }) => evicted.push(key) });
    for (const key of ['a', 'b', 'c', 'd', 'e']) await store.set(key, '1', { ttlMs: 1000 });
    expect(store.size).toBe(3);
    expect(evicted).toEqual(['a', 'b']);
    expect(store.evictions).toBe(2);
    now = 5000; // c, d, e have expired: pushing them out is not a loss
    for (const key of ['f', 'g', 'h']) await store.set(key, '1', { ttlMs: 1000 });
    expect(store.evictions).toBe(2);
  });

  it('the default store of a bot or router warns at most once a minute when it evicts live entries', async () => {
    let now = 0;
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const store = createDefaultStore({ logger, maxEntries: 2, now: () => now });
    for (let i = 0; i < 10; i++) await store.set(`k${i}`, '1', { ttlMs: 600_000 });
    expect(store.evictions).toBe(8);
    expect(warnings).toHaveLength(1);
    now = 61_000;
    await store.set('late', '1', { ttlMs: 600_000 });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('@maven/wecom-redis');
  });
});
