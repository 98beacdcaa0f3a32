/**
 * The behaviour every `Store` must have, as one reusable suite. It runs on core's MemoryStore and
 * on RedisStore with both clients, so the two backends are proven to behave the same.
 * Timing: short TTLs and polling only; nothing asserts how long anything took.
 */
import { type Store, WeComConfigError } from '@maven/wecom-core';
import { describe, expect, it, vi } from 'vitest';

export interface StoreContractSubject {
  /** A store on a fresh, empty namespace. */
  store: Store;
  /** The same namespace through another connection (the same object for an in-process store). */
  peer: Store;
}

const LONG = { ttlMs: 60_000 };
const SHORT = { ttlMs: 120 };
const POLL = { timeout: 5_000, interval: 20 };

async function expired(store: Store, key: string): Promise<void> {
  await vi.waitFor(async () => expect(await store.get(key)).toBeUndefined(), POLL);
}

export function storeContract(
  name: string,
  makeStore: () => StoreContractSubject | Promise<StoreContractSubject>,
): void {
  describe(`Store contract: ${name}`, () => {
    it('get answers undefined for a key never written', async () => {
      const { store } = await makeStore();
      expect(await store.get('missing')).toBeUndefined();
    });

    it('set then get round-trips values exactly, and set overwrites', async () => {
      const { store, peer } = await makeStore();
      const values = [
        '',
        'plain',
        '企业微信 消息 🚀',
        JSON.stringify({ a: [1, 2], b: 'x"y' }),
        'x'.repeat(10_000),
      ];
      for (const [i, value] of values.entries()) await store.set(`k${i}`, value, LONG);
      for (const [i, value] of values.entries()) expect(await peer.get(`k${i}`)).toBe(value);
      await peer.set('k1', 'replaced', LONG);
      expect(await store.get('k1')).toBe('replaced');
    });

    it('keys are distinct, including unicode and separator characters', async () => {
      const { store } = await makeStore();
      const keys = ['a', 'a:', 'A', 'a b', '用户:1', 'dedup:bot:msg'];
      for (const key of keys) await store.set(key, `v-${key}`, LONG);
      for (const key of keys) expect(await store.get(key)).toBe(`v-${key}`);
    });

    it('a value expires after its TTL', async () => {
      const { store, peer } = await makeStore();
      await store.set('short', 'v', SHORT);
      await store.set('long', 'v', LONG);
      await expired(peer, 'short');
      expect(await peer.get('long')).toBe('v');
    });

    it('set replaces the TTL of an existing key', async () => {
      const { store } = await makeStore();
      await store.set('k', 'first', SHORT);
      await store.set('k', 'second', LONG);
      // A sentinel written later with the same short TTL: once it is gone, the first TTL has passed.
      await store.set('sentinel', 'v', SHORT);
      await expired(store, 'sentinel');
      expect(await store.get('k')).toBe('second');
    });

    it('setIfAbsent writes only when the key is absent', async () => {
      const { store, peer } = await makeStore();
      expect(await store.setIfAbsent('k', 'first', LONG)).toBe(true);
      expect(await peer.setIfAbsent('k', 'second', LONG)).toBe(false);
      expect(await store.get('k')).toBe('first');
      expect(await store.delete('k')).toBe(true);
      expect(await peer.setIfAbsent('k', 'third', LONG)).toBe(true);
      expect(await store.get('k')).toBe('third');
    });

    it('setIfAbsent succeeds again once the earlier value expired', async () => {
      const { store, peer } = await makeStore();
      expect(await store.setIfAbsent('k', 'first', SHORT)).toBe(true);
      await expired(store, 'k');
      expect(await peer.setIfAbsent('k', 'second', LONG)).toBe(true);
      expect(await store.get('k')).toBe('second');
    });

    it('100 concurrent setIfAbsent on one key from two connections: exactly one wins', async () => {
      const { store, peer } = await makeStore();
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? peer : store).setIfAbsent('race', `w${i}`, LONG)),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await store.get('race')).toBe(`w${winners[0]}`);
    });

    it('compareAndSet with expected undefined writes only when the key is absent', async () => {
      const { store, peer } = await makeStore();
      expect(await store.compareAndSet('k', undefined, 'first', LONG)).toBe(true);
      expect(await peer.compareAndSet('k', undefined, 'second', LONG)).toBe(false);
      expect(await store.get('k')).toBe('first');
    });

    it('compareAndSet writes only when the current value equals expected', async () => {
      const { store, peer } = await makeStore();
      expect(await store.compareAndSet('absent', 'anything', 'v', LONG)).toBe(false);
      expect(await store.get('absent')).toBeUndefined();
      await store.set('k', 'v1', LONG);
      expect(await peer.compareAndSet('k', 'wrong', 'v2', LONG)).toBe(false);
      expect(await store.get('k')).toBe('v1');
      expect(await peer.compareAndSet('k', 'v1', 'v2', LONG)).toBe(true);
      expect(await store.get('k')).toBe('v2');
      // Fencing: a stale writer still holding v1 can never overwrite the newer value.
      expect(await store.compareAndSet('k', 'v1', 'stale', LONG)).toBe(false);
      expect(await store.get('k')).toBe('v2');
      expect(await store.compareAndSet('k', '', 'v3', LONG)).toBe(false);
      await store.set('empty', '', LONG);
      expect(await store.compareAndSet('empty', '', 'filled', LONG)).toBe(true);
      expect(await store.get('empty')).toBe('filled');
    });

    it('compareAndSet sets the TTL of the value it writes', async () => {
      const { store } = await makeStore();
      await store.set('k', 'v1', LONG);
      expect(await store.compareAndSet('k', 'v1', 'v2', SHORT)).toBe(true);
      expect(await store.compareAndSet('fresh', undefined, 'v', SHORT)).toBe(true);
      await expired(store, 'k');
      await expired(store, 'fresh');
    });

    it('50 concurrent compareAndSet from the same expected value: exactly one wins', async () => {
      const { store, peer } = await makeStore();
      await store.set('lock', 'gen-0', LONG);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? peer : store).compareAndSet('lock', 'gen-0', `gen-${i + 1}`, LONG),
        ),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await store.get('lock')).toBe(`gen-${(winners[0] ?? -1) + 1}`);
    });

    it('delete answers whether a key was removed', async () => {
      const { store, peer } = await makeStore();
      await store.set('k', 'v', LONG);
      expect(await peer.delete('k')).toBe(true);
      expect(await store.get('k')).toBeUndefined();
      expect(await peer.delete('k')).toBe(false);
      expect(await store.delete('never')).toBe(false);
    });

    it('compareAndDelete removes a key only for its owner', async () => {
      const { store, peer } = await makeStore();
      await store.set('lock', 'owner-a', LONG);
      expect(await peer.compareAndDelete('lock', 'owner-b')).toBe(false);
      expect(await store.get('lock')).toBe('owner-a');
      expect(await peer.compareAndDelete('lock', 'owner-a')).toBe(true);
      expect(await store.get('lock')).toBeUndefined();
      expect(await store.compareAndDelete('lock', 'owner-a')).toBe(false);
    });

    it('a lock taken with setIfAbsent and released by its owner can be taken again', async () => {
      const { store, peer } = await makeStore();
      expect(await store.setIfAbsent('lock', 'a', LONG)).toBe(true);
      expect(await peer.setIfAbsent('lock', 'b', LONG)).toBe(false);
      expect(await peer.compareAndDelete('lock', 'b')).toBe(false);
      expect(await store.compareAndDelete('lock', 'a')).toBe(true);
      expect(await peer.setIfAbsent('lock', 'b', LONG)).toBe(true);
    });

    it('appendLine keeps the newest lines in order, renews the TTL, and matches the fallback', async () => {
      const { store, peer } = await makeStore();
      // Every store that has the operation, and the compareAndSet fallback (`appendLine` helper on
      // a view without it), must give the same value for the same sequence.
      const { appendLine: viaStore, prefixStore } = await import('@maven/wecom-core');
      const plain = prefixStore(store, 'fallback:');
      const { appendLine: _omit, ...withoutOp } = plain;
      const lines = ['1 a', '2 b', '', '3 c', '4 d', '5 e'];
      for (const line of lines) {
        if (store.appendLine) await store.appendLine('chat', line, { ...LONG, maxLines: 3 });
        else await viaStore(store, 'chat', line, { ...LONG, maxLines: 3 });
        expect(await viaStore(withoutOp as Store, 'fb', line, { ...LONG, maxLines: 3 })).toBe(true);
      }
      expect(await peer.get('chat')).toBe('3 c\n4 d\n5 e');
      expect(await plain.get('fb')).toBe('3 c\n4 d\n5 e');
      await viaStore(peer, 'one', 'x', { ...LONG, maxLines: 1 });
      await viaStore(peer, 'one', 'y', { ...LONG, maxLines: 1 });
      expect(await store.get('one')).toBe('y');
      await viaStore(store, 'short', 'x', { ...SHORT, maxLines: 5 });
      await expired(peer, 'short');
      if (store.appendLine) {
        await expect(store.appendLine('k', 'v', { ...LONG, maxLines: 0 })).rejects.toBeInstanceOf(
          WeComConfigError,
        );
        await expect(store.appendLine('k', 'v', { ttlMs: 0, maxLines: 2 })).rejects.toBeInstanceOf(
          WeComConfigError,
        );
        expect(await store.get('k')).toBeUndefined();
      }
    });

    it('concurrent appendLine calls from two connections lose no line', async () => {
      const { store, peer } = await makeStore();
      const { appendLine } = await import('@maven/wecom-core');
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          appendLine(i % 2 ? store : peer, 'many', `line-${i}`, { ...LONG, maxLines: 50 }),
        ),
      );
      const got = (await store.get('many'))!.split('\n').sort();
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `line-${i}`).sort());
    });

    it('refuses a missing or non-positive TTL with WeComConfigError and writes nothing', async () => {
      const { store } = await makeStore();
      for (const ttlMs of [0, -1, Number.NaN]) {
        await expect(store.set('k', 'v', { ttlMs })).rejects.toBeInstanceOf(WeComConfigError);
        await expect(store.setIfAbsent('k', 'v', { ttlMs })).rejects.toBeInstanceOf(WeComConfigError);
        await expect(store.compareAndSet('k', undefined, 'v', { ttlMs })).rejects.toBeInstanceOf(
          WeComConfigError,
        );
      }
      await expect(store.set('k', 'v', {} as { ttlMs: number })).rejects.toBeInstanceOf(WeComConfigError);
      expect(await store.get('k')).toBeUndefined();
    });
  });
}
