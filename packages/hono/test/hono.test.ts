import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { botText, startWeComSimulator } from '@maven/wecom-testing';
import {
  botCallback,
  createBot,
  createProbe,
  gate,
  listen,
  type Running,
  request,
  runAdapterContract,
} from '@maven/wecom-testing/contract';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { wecomHealth, wecomHono } from '../src/index.ts';

const SDK = { WeComBot, CallbackRouter };

const serveApp = (app: Hono) => listen(createAdaptorServer({ fetch: app.fetch }) as Server);

runAdapterContract({
  sdk: SDK,
  name: 'hono on @hono/node-server',
  start(handlers) {
    const app = new Hono();
    for (const handler of handlers) app.use(wecomHono(handler));
    app.all('/other', (c) => c.text('other route'));
    return serveApp(app);
  },
  startHealth(extra) {
    const app = new Hono();
    app.get('/health', wecomHealth());
    app.get('/health/detail', wecomHealth(extra));
    return serveApp(app);
  },
});

describe('hono: mounting', () => {
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (app: Hono) => {
    server = await serveApp(app);
    return server.base;
  };

  it('as route handler: app.post / app.get on the handler path', async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const app = new Hono();
    app.get('/wecom/bot', wecomHono(probe.handler));
    app.post('/wecom/bot', wecomHono(probe.handler));
    const base = await serve(app);
    const res = await request(`${base}/wecom/bot?echostr=a%2Bb`, { method: 'POST', body: '<xml/>' });
    expect(JSON.parse(res.text)).toMatchObject({ pathname: '/wecom/bot', query: { echostr: 'a+b' } });
    expect(JSON.parse((await request(`${base}/wecom/bot?x=1`)).text).query).toEqual({ x: '1' });
  });

  it('app.all on a wider pattern: not-my-path goes down the chain (next route, then 404)', async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const app = new Hono();
    app.all('/wecom/*', wecomHono(probe.handler));
    app.all('/wecom/other', (c) => c.text('next route', 418));
    const base = await serve(app);
    expect((await request(`${base}/wecom/bot`, { method: 'POST', body: 'x' })).status).toBe(200);
    expect(await request(`${base}/wecom/other`, { method: 'POST', body: 'x' })).toMatchObject({
      status: 418,
      text: 'next route',
    });
    // The last handler calling next() gets Hono's own 404, never a 200.
    const nowhere = await request(`${base}/wecom/nowhere`, { method: 'POST', body: 'x' });
    expect(nowhere).toMatchObject({ status: 404, text: '404 Not Found' });
    expect(probe.seen).toHaveLength(1);
  });

  it('in a sub-app mounted with app.route(): the handler path is the full request path', async () => {
    const probe = createProbe({ paths: ['/api/wecom/bot'] });
    const sub = new Hono();
    sub.post('/wecom/bot', wecomHono(probe.handler));
    sub.get('/wecom/bot', wecomHono(probe.handler));
    const app = new Hono();
    app.route('/api', sub);
    const base = await serve(app);
    const res = await request(`${base}/api/wecom/bot?x=%E4%BC%81`, { method: 'POST', body: '{"a":1}' });
    expect(JSON.parse(res.text)).toMatchObject({ pathname: '/api/wecom/bot', query: { x: '企' } });
    expect((await request(`${base}/wecom/bot`, { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('a handler without a path, mounted with app.use(prefix): every path under it', async () => {
    const probe = createProbe();
    const app = new Hono();
    app.use('/hooks/*', wecomHono(probe.handler));
    app.get('/other', (c) => c.text('other route'));
    const base = await serve(app);
    expect(JSON.parse((await request(`${base}/hooks/a/b`)).text).pathname).toBe('/hooks/a/b');
    expect((await request(`${base}/other`)).text).toBe('other route');
  });

  it('a middleware that already read the body: 500 body_already_parsed, never a hang', async () => {
    const probe = createProbe();
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.raw.clone().text(); // a clone leaves the original readable
      await next();
    });
    app.post('/cloned', wecomHono(probe.handler));
    app.use('/consumed', async (c, next) => {
      await c.req.raw.text();
      await next();
    });
    app.post('/consumed', wecomHono(probe.handler));
    const base = await serve(app);
    const cloned = await request(`${base}/cloned`, { method: 'POST', body: '<xml/>' });
    expect(JSON.parse(cloned.text).body).toBe('<xml/>');
    const consumed = await request(`${base}/consumed`, { method: 'POST', body: '<xml/>' });
    expect(consumed).toMatchObject({ status: 500, text: 'body_already_parsed' });
  });
});

describe('hono: waitUntil', () => {
  it('passes executionCtx.waitUntil when the runtime gives one (Workers-style fetch(request, env, ctx))', async () => {
    const probe = createProbe();
    const app = new Hono();
    app.post('/wecom/bot', wecomHono(probe.handler));
    const handed: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (p: Promise<unknown>) => void handed.push(p),
      passThroughOnException() {},
      props: {},
    };
    const res = await app.fetch(
      new Request('http://worker/wecom/bot', { method: 'POST', body: 'x' }),
      {},
      ctx,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.text()).hasWaitUntil).toBe(true);
  });

  it('passes none, and does not throw, when there is no execution context (@hono/node-server)', async () => {
    const probe = createProbe();
    const app = new Hono();
    app.post('/wecom/bot', wecomHono(probe.handler));
    const server = await serveApp(app);
    try {
      const res = await request(`${server.base}/wecom/bot`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).hasWaitUntil).toBe(false);
    } finally {
      await server.close();
    }
    // app.request() gives no execution context either.
    const direct = await app.request('/wecom/bot', { method: 'POST', body: 'x' });
    expect(JSON.parse(await direct.text()).hasWaitUntil).toBe(false);
  });
});

describe('hono: Workers-style waitUntil with the real WeComBot', () => {
  it('the active reply after the ack is handed to executionCtx.waitUntil and completes under it', async () => {
    const sim = await startWeComSimulator();
    const bot = createBot(SDK);
    const release = gate();
    bot.on('text', async (_message, ctx) => {
      await release.promise;
      await ctx.reply('late answer');
    });
    const app = new Hono();
    app.post('/wecom/bot', wecomHono(bot));
    const handed: Promise<unknown>[] = [];
    const executionCtx = {
      waitUntil: (p: Promise<unknown>) => void handed.push(p),
      passThroughOnException() {},
      props: {},
    };
    try {
      const responseUrl = sim.createResponseUrl();
      const cb = botCallback(botText({ content: 'slow', responseUrl }));
      const req = new Request(`http://worker/wecom/bot${cb.search}`, { method: 'POST', body: cb.body });
      const res = await app.fetch(req, {}, executionCtx);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(''); // the ack, while the listener still waits
      expect(handed.length).toBeGreaterThan(0);
      release.open();
      await Promise.all(handed); // what a Worker would keep alive
      expect(sim.responses(responseUrl)).toHaveLength(1);
      expect(sim.responses(responseUrl)[0]?.body).toMatchObject({ markdown: { content: 'late answer' } });
    } finally {
      release.open();
      await bot.close({ timeoutMs: 1000 });
      await sim.close();
    }
  });
});
