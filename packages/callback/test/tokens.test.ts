import { HttpClient, MemoryStore, WeComApiError, WeComConfigError, WeComError } from '@maven/wecom-core';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessTokenCache, type AppConfig, CallbackRouter, WeComApi } from '../src/index.js';
import { type FakeWeCom, type FakeWeComOptions, startFakeWeCom } from './fake-wecom.js';
import { makeApp } from './helpers.js';

const servers: FakeWeCom[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

async function fake(options: FakeWeComOptions): Promise<FakeWeCom> {
  const server = await startFakeWeCom(options);
  servers.push(server);
  return server;
}

const fastHttp = (baseUrl: string) => ({ baseUrl, retry: { backoff: { baseMs: 1, maxMs: 5, jitter: 0 } } });

function routerFor(
  app: AppConfig,
  wecom: FakeWeCom,
  extra: Partial<ConstructorParameters<typeof CallbackRouter>[0]> = {},
) {
  return new CallbackRouter({
    app,
    http: fastHttp(wecom.baseUrl),
    rateLimitRetry: { baseMs: 2, maxMs: 10 },
    ...extra,
  });
}

const chat = (app: AppConfig, user: string) => `${app.corpId}:${app.agentId}:${user}`;

describe('access tokens: single flight, cross-process lock, refresh policy', () => {
  it('200 concurrent sends at cold start make exactly one gettoken', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app], tokenDelayMs: 30 });
    const router = routerFor(app, wecom);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => router.send(chat(app, `u${i}`), `hello ${i}`)),
    );
    expect(results).toHaveLength(200);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(1);
    const sends = wecom.calls('/cgi-bin/message/send');
    expect(sends).toHaveLength(200);
    expect(new Set(sends.map((s) => s.token))).toEqual(new Set([wecom.issued[0]]));
  }, 30_000);

  it('two routers sharing one Store make exactly one gettoken (cross-instance lock)', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app], tokenDelayMs: 60 });
    const store = new MemoryStore();
    const r1 = routerFor(app, wecom, { store, tokens: { pollIntervalMs: 5 } });
    const r2 = routerFor(app, wecom, { store, tokens: { pollIntervalMs: 5 } });
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => r1.send(chat(app, `a${i}`), 'x')),
      ...Array.from({ length: 20 }, (_, i) => r2.send(chat(app, `b${i}`), 'x')),
    ]);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(1);
    const fetches = [r1.api(app.name).tokens.fetchCount, r2.api(app.name).tokens.fetchCount].sort();
    expect(fetches).toEqual([0, 1]);
  });

  it('two AccessTokenCache instances on one store: the waiter polls the store and gets the same token', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app], tokenDelayMs: 50 });
    const store = new MemoryStore();
    const http = new HttpClient(fastHttp(wecom.baseUrl));
    const make = () =>
      new AccessTokenCache({
        corpId: app.corpId,
        corpSecret: app.corpSecret,
        agentId: app.agentId,
        http,
        store,
        pollIntervalMs: 5,
      });
    const c1 = make();
    const c2 = make();
    const [t1, t2] = await Promise.all([c1.get(), c2.get()]);
    expect(t1).toBe(t2);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(1);
    expect(c1.fetchCount + c2.fetchCount).toBe(1);
  });

  it('a slow refresher whose lock expired never overwrites the newer token (fencing)', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    wecom.inject({ path: '/cgi-bin/gettoken', delayMs: 300 });
    const store = new MemoryStore();
    const http = new HttpClient(fastHttp(wecom.baseUrl));
    const make = () =>
      new AccessTokenCache({
        corpId: app.corpId,
        corpSecret: app.corpSecret,
        agentId: app.agentId,
        http,
        store,
        lockTtlMs: 100,
        pollIntervalMs: 5,
      });
    const slow = make();
    const fast = make();
    const slowToken = slow.get();
    await new Promise((r) => setTimeout(r, 150)); // the slow holder's lock has expired
    const fastToken = await fast.get();
    expect(wecom.issued).toHaveLength(1);
    const newer = wecom.issued[0]!;
    expect(fastToken).toBe(newer);
    // The slow refresh finishes later with an older fetch: its compareAndSet fails, it adopts the newer token.
    expect(await slowToken).toBe(newer);
    expect(wecom.issued).toHaveLength(2);
    const stored = JSON.parse((await store.get(fast.storeKey))!) as { token: string };
    expect(stored.token).toBe(newer);
  });

  it('a lock whose setIfAbsent failed is read back: applied (a timeout) or held by another, one gettoken', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app], tokenDelayMs: 80 });
    const store = new MemoryStore();
    const http = new HttpClient(fastHttp(wecom.baseUrl));
    const make = () =>
      new AccessTokenCache({
        corpId: app.corpId,
        corpSecret: app.corpSecret,
        agentId: app.agentId,
        http,
        store,
        pollIntervalMs: 5,
      });
    // Every setIfAbsent on the lock is applied and then reported failed, as a command that timed
    // out on its way back (or met a cluster redirect) is.
    const setIfAbsent = store.setIfAbsent.bind(store);
    let failed = 0;
    store.setIfAbsent = async (key, value, options) => {
      const applied = await setIfAbsent(key, value, options);
      if (key.includes('-lock:')) {
        failed++;
        throw new Error(`timed out (applied: ${applied})`);
      }
      return applied;
    };
    const caches = Array.from({ length: 4 }, make);
    const tokens = await Promise.all(caches.map((c) => c.get()));
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(new Set(tokens).size).toBe(1);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(1);
    expect(caches.reduce((n, c) => n + c.fetchCount, 0)).toBe(1);
  });

  it('a refused token evicted by another process between our read and our write: the new one is still stored', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const store = new MemoryStore();
    const http = new HttpClient(fastHttp(wecom.baseUrl));
    const make = () =>
      new AccessTokenCache({
        corpId: app.corpId,
        corpSecret: app.corpSecret,
        agentId: app.agentId,
        http,
        store,
        pollIntervalMs: 5,
      });
    const a = make();
    const b = make();
    const first = await a.get();
    await b.get();
    // WeCom refused `first` to both. a evicts it from its memory only (its Store call failed), then
    // refreshes and reads the old record under the lock; b's eviction of it lands before a's write.
    const cad = store.compareAndDelete.bind(store);
    store.compareAndDelete = async (key, expected) => {
      if (key === a.storeKey && expected.includes(first) && !evictedByB) throw new Error('timed out');
      return cad(key, expected);
    };
    let evictedByB = false;
    await a.invalidate(first);
    const cas = store.compareAndSet.bind(store);
    store.compareAndSet = async (key, expected, value, options) => {
      if (key === a.storeKey && !evictedByB) {
        evictedByB = true;
        await b.invalidate(first);
      }
      return cas(key, expected, value, options);
    };
    const second = await a.get();
    expect(evictedByB).toBe(true);
    expect(second).not.toBe(first);
    // Without the retry the Store was left empty, and b refreshed once more.
    expect(JSON.parse((await store.get(a.storeKey))!).token).toBe(second);
    expect(await b.get()).toBe(second);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
    expect(b.fetchCount).toBe(0);
  });

  it('waiting for another process is bounded: a lock nobody releases ends in token_unavailable', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const store = new MemoryStore();
    await store.setIfAbsent(`token-lock:${app.corpId}:${app.agentId}`, 'someone-else', {
      ttlMs: 60_000,
    });
    const cache = new AccessTokenCache({
      corpId: app.corpId,
      corpSecret: app.corpSecret,
      agentId: app.agentId,
      http: fastHttp(wecom.baseUrl),
      store,
      lockWaitMs: 80,
      pollIntervalMs: 10,
    });
    const error = await cache.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeComError);
    expect((error as WeComError).code).toBe('token_unavailable');
    expect(wecom.count('/cgi-bin/gettoken')).toBe(0);
  });

  it('is refreshed ahead of expiry (margin), and reused until then', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app], expiresIn: 7200 });
    let clock = 1_700_000_000_000;
    const cache = new AccessTokenCache({
      corpId: app.corpId,
      corpSecret: app.corpSecret,
      agentId: app.agentId,
      http: fastHttp(wecom.baseUrl),
      refreshMarginMs: 300_000,
      now: () => clock,
    });
    const first = await cache.get();
    clock += 6_800_000;
    expect(await cache.get()).toBe(first);
    clock += 200_000; // 7000 s: inside the 300 s margin
    const second = await cache.get();
    expect(second).not.toBe(first);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
    expect(
      () => new AccessTokenCache({ corpId: 'c', corpSecret: 's', agentId: 1, refreshMarginMs: 1000 }),
    ).toThrow(/refreshMarginMs/);
  });

  it('invalidate evicts only the token that failed', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const cache = new AccessTokenCache({
      corpId: app.corpId,
      corpSecret: app.corpSecret,
      agentId: app.agentId,
      http: fastHttp(wecom.baseUrl),
    });
    const t1 = await cache.get();
    expect(await cache.invalidate('tok_someone_elses_old_token')).toBe(false);
    expect(await cache.get()).toBe(t1);
    expect(await cache.invalidate(t1)).toBe(true);
    expect(await cache.get()).not.toBe(t1);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
  });
});

describe('errcode policy on API calls', () => {
  it('42001 (expired): refreshed once and the send succeeds', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const router = routerFor(app, wecom);
    await router.send(chat(app, 'u1'), 'one');
    wecom.expireAll();
    const result = await router.send(chat(app, 'u1'), 'two');
    expect(result.msgid).toMatch(/^msgid-/);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
    const sends = wecom.calls('/cgi-bin/message/send');
    expect(sends).toHaveLength(3);
    expect(sends[1]!.token).toBe(wecom.issued[0]);
    expect(sends[2]!.token).toBe(wecom.issued[1]);
  });

  it('42001 for many concurrent senders still makes one refresh', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app], tokenDelayMs: 20 });
    const router = routerFor(app, wecom);
    await router.send(chat(app, 'warm'), 'x');
    wecom.expireAll();
    await Promise.all(Array.from({ length: 30 }, (_, i) => router.send(chat(app, `u${i}`), 'y')));
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
  });

  it('40014 (invalid token) and 41001 are treated the same way', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const router = routerFor(app, wecom);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 40014 });
    await router.send(chat(app, 'u1'), 'x');
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 41001 });
    await router.send(chat(app, 'u1'), 'y');
    expect(wecom.count('/cgi-bin/gettoken')).toBe(3);
    expect(wecom.count('/cgi-bin/message/send')).toBe(4);
  });

  it('a token error twice in a row is surfaced after one resend (no loop)', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const router = routerFor(app, wecom);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 42001, times: 5 });
    const error = await router.send(chat(app, 'u1'), 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeComApiError);
    expect((error as WeComApiError).errcode).toBe(42001);
    expect(wecom.count('/cgi-bin/message/send')).toBe(2);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
  });

  it('40001 from gettoken is a configuration error: surfaced at once, one gettoken, never looped', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [{ corpId: app.corpId, corpSecret: 'the-real-secret-differs' }] });
    const router = routerFor(app, wecom);
    const first = await router.send(chat(app, 'u1'), 'x').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(WeComApiError);
    expect((first as WeComApiError).errcode).toBe(40001);
    const second = await router.send(chat(app, 'u1'), 'x').catch((e: unknown) => e);
    expect((second as WeComApiError).errcode).toBe(40001);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(1);
    expect(wecom.count('/cgi-bin/message/send')).toBe(0);
  });

  it('60020 (IP not allowed) is one call, surfaced', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const router = routerFor(app, wecom);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 60020, times: 5 });
    const error = await router.send(chat(app, 'u1'), 'x').catch((e: unknown) => e);
    expect((error as WeComApiError).errcode).toBe(60020);
    expect((error as WeComApiError).path).toBe('/cgi-bin/message/send');
    expect(wecom.count('/cgi-bin/message/send')).toBe(1);
  });

  it('-1 (system busy): bounded retries with backoff, then success', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const router = routerFor(app, wecom);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: -1, times: 2 });
    const result = await router.send(chat(app, 'u1'), 'x');
    expect(result.msgid).toMatch(/^msgid-/);
    expect(wecom.count('/cgi-bin/message/send')).toBe(3);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: -1, times: 10 });
    const error = await router.send(chat(app, 'u1'), 'x').catch((e: unknown) => e);
    expect((error as WeComApiError).errcode).toBe(-1);
    expect(wecom.count('/cgi-bin/message/send')).toBe(6);
  });

  it('45009 (rate limit): backs off and succeeds; persistent limits give up after the bound', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    const router = routerFor(app, wecom);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 45009 });
    expect((await router.send(chat(app, 'u1'), 'x')).msgid).toMatch(/^msgid-/);
    expect(wecom.count('/cgi-bin/message/send')).toBe(2);
    wecom.inject({ path: '/cgi-bin/message/send', errcode: 45033, times: 10 });
    const error = await router.send(chat(app, 'u1'), 'x').catch((e: unknown) => e);
    expect((error as WeComApiError).errcode).toBe(45033);
    expect(wecom.count('/cgi-bin/message/send')).toBe(5);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(1);
  });

  it('45009 on gettoken backs off too', async () => {
    const app = makeApp();
    const wecom = await fake({ apps: [app] });
    wecom.inject({ path: '/cgi-bin/gettoken', errcode: 45009 });
    const api = new WeComApi({ ...pick(app), http: fastHttp(wecom.baseUrl), rateLimitRetry: { baseMs: 1 } });
    await api.getCallbackIp();
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
  });
});

describe('warm-up', () => {
  it('fetches every app token at start; failures are reported, not thrown', async () => {
    const good = makeApp();
    const bad = makeApp();
    const wecom = await fake({ apps: [good, { corpId: bad.corpId, corpSecret: 'wrong-secret-value' }] });
    const router = new CallbackRouter({ apps: [good, bad], http: fastHttp(wecom.baseUrl) });
    const results = await router.warmUp();
    expect(results.map((r) => [r.app, r.ok])).toEqual([
      [good.name, true],
      [bad.name, false],
    ]);
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
    await router.send(chat(good, 'u'), 'x');
    expect(wecom.count('/cgi-bin/gettoken')).toBe(2);
  });

  it('refuses bad token options eagerly', () => {
    expect(() => new AccessTokenCache({ corpId: 'c', corpSecret: 's' })).toThrow(WeComConfigError);
    expect(() => new AccessTokenCache({ corpId: 'c', corpSecret: 's', agentId: 1, ttl: 5 } as never)).toThrow(
      /unknown option "ttl"/,
    );
  });
});

function pick(app: AppConfig & { corpSecret: string }) {
  return { corpId: app.corpId, agentId: app.agentId, corpSecret: app.corpSecret };
}
