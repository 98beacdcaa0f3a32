/**
 * End to end against the shared simulated WeCom (@maven/wecom-testing): its app driver delivers
 * callbacks like WeCom (re-deliveries included) to the router on a real HTTP server, and its API
 * routes check what the router sends (tokens, message rules).
 */
import { startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackRouter } from '../src/index.js';
import { deferred, type Listening, listen, makeApp } from './helpers.js';

const a = makeApp();
const b = makeApp();
let sim: WeComSimulator;
let server: Listening;
let router: CallbackRouter;
let dispatched = 0;
let release = deferred();

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [
      { name: a.name, corpId: a.corpId, corpSecret: a.corpSecret, agentId: a.agentId },
      { name: b.name, corpId: b.corpId, corpSecret: b.corpSecret, agentId: b.agentId },
    ],
  });
  router = new CallbackRouter({
    apps: [a, b],
    deadlineMs: 150,
    http: { baseUrl: sim.url, retry: { backoff: { baseMs: 1 } } },
  });
  router.on('text', async (msg, ctx) => {
    dispatched++;
    if (msg.content === 'slow') await release.promise;
    await ctx.reply(`${ctx.app.name} says: ${msg.content}`);
  });
  server = await listen(router);
});

afterAll(async () => {
  release.resolve();
  await router.close();
  await server.close();
  await sim.close();
});

const url = () => `${server.url}/wecom/callback`;
const driver = (app: typeof a, from = 'zhangsan') =>
  sim.app({
    corpId: app.corpId,
    agentId: app.agentId,
    token: app.token,
    encodingAESKey: app.encodingAESKey,
    from,
  });

describe('against the simulated WeCom', () => {
  it('URL verification and a passive reply, decrypted and checked by the driver', async () => {
    expect((await driver(a).verify(url())).ok).toBe(true);
    const result = await driver(b).send(url(), 'hello');
    expect(result.status).toBe(200);
    expect(result.reply?.message).toMatchObject({
      MsgType: 'text',
      Content: `${b.name} says: hello`,
      ToUserName: 'zhangsan',
    });
  });

  it('a slow handler: WeCom re-delivers, the router dispatches once and replies actively through the right app', async () => {
    release = deferred();
    const before = dispatched;
    const sent = sim.count('message/send');
    const result = await driver(a, 'lisi').send(url(), 'slow', { redeliverAfterMs: 100, maxDeliveries: 3 });
    expect(result.status).toBe(200);
    expect(result.deliveries).toBeGreaterThanOrEqual(2);
    expect(dispatched - before).toBe(1);
    // The handler is still busy: let the router's deadline (150 ms) pass before it replies.
    await new Promise((r) => setTimeout(r, 200));
    release.resolve();
    const call = await sim.waitForCall('message/send', { count: sent + 1 });
    expect(call.app).toBe(a.name);
    expect(call.body).toMatchObject({
      touser: 'lisi',
      agentid: a.agentId,
      msgtype: 'text',
      text: { content: `${a.name} says: slow` },
    });
  });

  it('expired (42001) and revoked (40014) tokens are refreshed once and the send succeeds', async () => {
    const target = `${b.corpId}:${b.agentId}:wangwu`;
    await router.send(target, 'warm');
    const tokens = sim.count('gettoken');
    sim.expireTokens(b.name);
    await router.send(target, 'after expiry');
    sim.revokeTokens(b.name);
    await router.send(target, 'after revoke');
    expect(sim.count('gettoken')).toBe(tokens + 2);
    expect(
      sim
        .messages(b.name)
        .map((m) => (m.body.text as { content: string }).content)
        .slice(-2),
    ).toEqual(['after expiry', 'after revoke']);
  });

  it('200 concurrent sends at cold start: one gettoken', async () => {
    const fresh = new CallbackRouter({ app: a, http: { baseUrl: sim.url } });
    const before = sim.count('gettoken');
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => fresh.send(`${a.corpId}:${a.agentId}:u${i}`, 'x')),
    );
    expect(sim.count('gettoken')).toBe(before + 1);
  }, 30_000);

  it('an injected -1 is retried; 60020 is surfaced after one call', async () => {
    const target = `${a.corpId}:${a.agentId}:zhaoliu`;
    await router.send(target, 'warm');
    const before = sim.count('message/send');
    sim.inject({ path: 'message/send', errcode: -1 });
    await router.send(target, 'busy once');
    expect(sim.count('message/send')).toBe(before + 2);
    sim.inject({ path: 'message/send', errcode: 60020 });
    await expect(router.send(target, 'x')).rejects.toMatchObject({ errcode: 60020 });
    expect(sim.count('message/send')).toBe(before + 3);
  });
});

describe('AccessTokenCache eviction race', () => {
  it('a read racing the eviction of a refused token never takes that token back', async () => {
    const { AccessTokenCache } = await import('../src/index.js');
    const { MemoryStore } = await import('@maven/wecom-core');
    const cache = new AccessTokenCache({
      corpId: a.corpId,
      corpSecret: a.corpSecret,
      agentId: a.agentId,
      store: new MemoryStore(),
      http: { baseUrl: sim.url },
    });
    const before = sim.count('gettoken');
    const refused = await cache.get();
    sim.expireTokens();
    const evicting = cache.invalidate(refused);
    const racing = cache.get();
    await evicting;
    expect(await racing).not.toBe(refused);
    expect(await cache.get()).not.toBe(refused);
    expect(sim.count('gettoken') - before).toBe(2);
  });
});

describe('close() with replies still in flight', () => {
  it('aborts them when the timeout runs out and reports each as reply.failed (closed), none later', async () => {
    const { buildAppCallback, appText } = await import('@maven/wecom-testing');
    const app = makeApp();
    const local = await startWeComSimulator({
      apps: [{ name: app.name, corpId: app.corpId, corpSecret: app.corpSecret, agentId: app.agentId }],
    });
    try {
      local.inject({ path: 'message/send', delayMs: 3000 });
      const closing = new CallbackRouter({ apps: [app], deadlineMs: 50, http: { baseUrl: local.url } });
      const events: string[] = [];
      closing.on('reply.delivered', () => events.push('delivered'));
      closing.on('reply.failed', (info) => events.push(`failed:${(info.error as { code?: string }).code}`));
      const answered = deferred();
      closing.on('text', async (_message, ctx) => {
        await answered.promise; // reply only after the router has acknowledged: an active send
        await ctx.reply('late').catch(() => undefined);
      });
      const request = buildAppCallback({
        token: app.token,
        encodingAESKey: app.encodingAESKey,
        corpId: app.corpId,
        agentId: app.agentId,
        message: appText({ content: 'hi', from: 'u1', corpId: app.corpId, agentId: app.agentId }),
      });
      const response = await closing.receive({
        method: 'POST',
        url: `/wecom/callback${request.search}`,
        body: request.body,
      });
      expect(response.status).toBe(200);
      answered.resolve();
      await local.waitForCall('message/send');
      await closing.close({ timeoutMs: 100 });
      expect(events).toEqual(['failed:closed']);
    } finally {
      await local.close();
    }
  });
});
