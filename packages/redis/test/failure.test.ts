/**
 * Redis trouble on purpose: a private server killed and restarted mid-test, a server that never
 * answers, a refused connection, wrong credentials. Every operation must settle (no hang) with a
 * WeComStoreError; outcomes are counted, durations never asserted.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { Deduper, type LogFields, type Logger } from '@maven/wecom-core';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisStore, type RedisStore, WeComStoreError } from '../src/index.ts';
import { connectClient, KINDS, type TestClient, uniquePrefix } from './clients.ts';
import {
  announceSkip,
  getTestRedis,
  skipWithoutRedis,
  startOwnRedis,
  type TestRedis,
} from './redis-server.ts';

const LONG = { ttlMs: 60_000 };
const PASSWORD = 'Corr3ct-Horse-Battery-Staple';
const BACK = { timeout: 10_000, interval: 50 };

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields | undefined;
}

function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: Line['level']) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Runs a mix of every operation and returns how each settled. */
async function everyOperation(store: RedisStore, round: string) {
  const ops: Array<{ write: boolean; run: () => Promise<unknown> }> = [];
  for (let i = 0; i < 5; i++) {
    ops.push({ write: false, run: () => store.get(`${round}:${i}`) });
    ops.push({ write: true, run: () => store.set(`${round}:${i}`, 'v', LONG) });
    ops.push({ write: true, run: () => store.setIfAbsent(`${round}:sia:${i}`, 'v', LONG) });
    ops.push({
      write: true,
      run: () => store.compareAndSet(`${round}:cas:${i}`, i % 2 ? 'old' : undefined, 'v', LONG),
    });
    ops.push({ write: true, run: () => store.delete(`${round}:${i}`) });
    ops.push({ write: true, run: () => store.compareAndDelete(`${round}:lock:${i}`, 'owner') });
  }
  const outcomes = await Promise.allSettled(ops.map((op) => op.run()));
  return outcomes.map((outcome, i) => ({ outcome, write: ops[i]?.write ?? false }));
}

function expectUnavailable(error: unknown, ...secrets: string[]): WeComStoreError {
  expect(error).toBeInstanceOf(WeComStoreError);
  const e = error as WeComStoreError;
  expect(e.code).toBe('store_unavailable');
  expect(e.status).toBe(503);
  const everything = `${inspect(e, { depth: 10, showHidden: true })} ${JSON.stringify(e)}`;
  for (const secret of secrets) expect(everything).not.toContain(secret);
  return e;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('RedisStore when Redis never answers or refuses (no server needed)', () => {
  let blackHole: Server;
  let blackHolePort = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never writes a byte back: the worst case for a client.
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const address = blackHole.address();
    blackHolePort = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => blackHole.close(r));
  });

  for (const kind of KINDS) {
    it(`${kind}: a server that never answers makes every operation time out, none hangs`, async () => {
      const c = await connectClient(kind, `redis://127.0.0.1:${blackHolePort}`, { background: true });
      try {
        const logger = recordingLogger();
        const store = createRedisStore({
          client: c.client,
          prefix: uniquePrefix('blackhole'),
          commandTimeoutMs: 150,
          logger,
        });
        const results = await everyOperation(store, 'bh');
        expect(results).toHaveLength(30);
        for (const { outcome, write } of results) {
          expect(outcome.status).toBe('rejected');
          const error = expectUnavailable((outcome as PromiseRejectedResult).reason);
          expect(error.message).toMatch(/timed out after 150 ms/);
          expect(error.maybeApplied).toBe(write);
        }
        // One warning for the outage, not one per failed operation.
        expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
      } finally {
        await c.close();
      }
    });

    it(`${kind}: a refused connection never shows the URL's password`, async () => {
      const secret = 'Refused-Secret-9f8e7d';
      const port = await closedPort();
      const c = await connectClient(kind, `redis://someone:${secret}@127.0.0.1:${port}`, {
        background: true,
      });
      try {
        const store = createRedisStore({
          client: c.client,
          prefix: uniquePrefix('refused'),
          commandTimeoutMs: 150,
        });
        const results = await everyOperation(store, 'refused');
        for (const { outcome } of results) {
          expect(outcome.status).toBe('rejected');
          expectUnavailable((outcome as PromiseRejectedResult).reason, secret);
        }
      } finally {
        await c.close();
      }
    });
  }

  it('clients without an offline queue fail at once as "connection unavailable", without the password', async () => {
    const secret = 'Offline-Secret-1a2b3c';
    const port = await closedPort();
    const io = new Redis(`redis://someone:${secret}@127.0.0.1:${port}`, {
      enableOfflineQueue: false,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    io.on('error', () => {});
    const nr = createClient({
      url: `redis://someone:${secret}@127.0.0.1:${port}`,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: false },
    });
    nr.on('error', () => {});
    try {
      for (const client of [io, nr]) {
        const store = createRedisStore({ client, prefix: uniquePrefix('offline'), commandTimeoutMs: 5_000 });
        for (const attempt of [() => store.get('k'), () => store.setIfAbsent('k', 'v', LONG)]) {
          const error = expectUnavailable(await attempt().catch((e: unknown) => e), secret);
          expect(error.message).toMatch(/\(connection unavailable\)$/);
          expect(error.cause).toBeInstanceOf(Error);
          // The client's own error object is not attached (ioredis puts AUTH arguments on it).
          expect(Object.keys(error.cause as object)).not.toContain('command');
        }
      }
    } finally {
      io.disconnect();
    }
  });
});

const shared = await getTestRedis();
const skip = skipWithoutRedis(shared);
let own: TestRedis | undefined;
if (!skip) {
  own = await startOwnRedis({ password: PASSWORD });
  // Without redis-server on PATH the private server is a proxy, which cannot require a password.
  if (own.skipReason) {
    announceSkip(`wrong-password tests only: ${own.skipReason}`, 'Install redis-server to run them');
    own = await startOwnRedis();
  }
}

describe.skipIf(skip)('RedisStore when its own Redis is killed and restarted', () => {
  const server = own as TestRedis;
  afterAll(() => server.stop());

  for (const kind of KINDS) {
    describe(kind, () => {
      let c: TestClient;
      beforeAll(async () => {
        c = await connectClient(kind, server.url);
      });
      afterAll(() => c?.close());

      it('operations reject with store_unavailable while Redis is down, and the same store works after a restart', async () => {
        const logger = recordingLogger();
        const store = createRedisStore({
          client: c.client,
          prefix: uniquePrefix(`${kind}-kill`),
          commandTimeoutMs: 1000,
          logger,
        });
        await store.set('before', 'v', LONG);
        expect(await store.get('before')).toBe('v');
        await server.stop();
        try {
          const results = await everyOperation(store, 'down');
          const rejected = results.filter((r) => r.outcome.status === 'rejected');
          expect(rejected).toHaveLength(results.length);
          for (const { outcome, write } of results) {
            const error = expectUnavailable((outcome as PromiseRejectedResult).reason, PASSWORD);
            expect(error.message).toMatch(/timed out after 1000 ms|\(connection unavailable\)/);
            expect(error.maybeApplied).toBe(write);
          }
          const warnings = logger.lines.filter((l) => l.level === 'warn');
          expect(warnings).toHaveLength(1);
          expect(warnings[0]?.message).toMatch(/Redis store unavailable/);
        } finally {
          await server.start();
        }
        // The client reconnects by itself; the store was never recreated.
        await vi.waitFor(() => store.set('after', 'v', LONG), BACK);
        expect(await store.setIfAbsent('fresh', 'a', LONG)).toBe(true);
        expect(await store.setIfAbsent('fresh', 'b', LONG)).toBe(false);
        expect(await store.compareAndSet('fresh', 'a', 'c', LONG)).toBe(true);
        expect(await store.compareAndDelete('fresh', 'c')).toBe(true);
        expect(
          logger.lines.filter((l) => l.level === 'info' && /available again/.test(l.message)),
        ).toHaveLength(1);
      });

      it("core's Deduper fails open (processes, logs a warning) while Redis is down, its in-process guard still refusing what it saw, and dedups again after", async () => {
        const logger = recordingLogger();
        const store = createRedisStore({
          client: c.client,
          prefix: uniquePrefix(`${kind}-dedup`),
          commandTimeoutMs: 1000,
        });
        const deduper = new Deduper({ store, logger, prefix: 'dedup:bot:' });
        expect(await deduper.first('m0')).toBe(true);
        expect(await deduper.first('m0')).toBe(false);
        await server.stop();
        try {
          // m1 twice at once: both reach the failing Store (at-least-once); m0 was answered here before.
          const during = await Promise.all([deduper.first('m1'), deduper.first('m1'), deduper.first('m0')]);
          expect(during).toEqual([true, true, false]);
          expect(await deduper.first('m1')).toBe(false);
          const warnings = logger.lines.filter((l) => l.level === 'warn');
          expect(warnings).toHaveLength(2);
          for (const w of warnings) {
            expect(w.message).toMatch(/fail-open/);
            expectUnavailable(w.fields?.error, PASSWORD);
          }
        } finally {
          await server.start();
        }
        await vi.waitFor(() => store.get('probe'), BACK);
        expect(await deduper.first('m2')).toBe(true);
        expect(await deduper.first('m2')).toBe(false);
      });

      it('close() of a store that owns its client returns while Redis is down', async () => {
        const mine = await connectClient(kind, server.url);
        const store = createRedisStore({
          client: mine.client,
          prefix: uniquePrefix(`${kind}-owned`),
          commandTimeoutMs: 1000,
          ownsClient: true,
        });
        await store.set('k', 'v', LONG);
        await server.stop();
        try {
          await store.close();
          expect(mine.isOpen()).toBe(false);
        } finally {
          await mine.close();
          await server.start();
        }
      });
    });
  }

  describe.skipIf(!server?.password)('wrong credentials', () => {
    for (const kind of KINDS) {
      it(`${kind}: a client with a wrong password gets a clear error that never contains a password`, async () => {
        const wrong = 'Wr0ng-Passw0rd-For-Test';
        const url = `redis://:${wrong}@127.0.0.1:${server.port}`;
        const c = await connectClient(kind, url, { background: true });
        try {
          const store = createRedisStore({
            client: c.client,
            prefix: uniquePrefix(`${kind}-auth`),
            commandTimeoutMs: 300,
          });
          const results = await everyOperation(store, 'auth');
          for (const { outcome } of results) {
            expect(outcome.status).toBe('rejected');
            const error = expectUnavailable((outcome as PromiseRejectedResult).reason, wrong, PASSWORD);
            expect(error.message).toMatch(/\((WRONGPASS|NOAUTH)\)|timed out after 300 ms/);
          }
        } finally {
          await c.close();
        }
        // The right password works against the same server.
        const good = await connectClient(kind, server.url);
        try {
          const store = createRedisStore({ client: good.client, prefix: uniquePrefix(`${kind}-auth-ok`) });
          expect(await store.setIfAbsent('k', 'v', LONG)).toBe(true);
        } finally {
          await good.close();
        }
      });
    }
  });
});
