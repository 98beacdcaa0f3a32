import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import type { WeComHandler } from '@maven/wecom-core';
import {
  createProbe,
  listen,
  type Running,
  request,
  runAdapterContract,
} from '@maven/wecom-testing/contract';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { wecomFastify, wecomHealth } from '../src/index.ts';

const SDK = { WeComBot, CallbackRouter };

async function serveApp(app: FastifyInstance): Promise<Running> {
  await app.ready();
  return listen(app.server);
}

runAdapterContract({
  sdk: SDK,
  name: 'fastify',
  async start(list: WeComHandler[]) {
    const app = Fastify();
    for (const handler of list) await app.register(wecomFastify(handler));
    app.all('/other', async (_request, reply) => reply.type('text/plain').send('other route'));
    return serveApp(app);
  },
  startHealth(extra) {
    const app = Fastify();
    app.get('/health', wecomHealth());
    app.get('/health/detail', wecomHealth(extra));
    return serveApp(app);
  },
});

describe('fastify: parsers, hijack and encapsulation', () => {
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (app: FastifyInstance) => {
    server = await serveApp(app);
    return server.base;
  };
  const post = (url: string, body: string, type: string) =>
    request(url, { method: 'POST', body, headers: { 'content-type': type } });

  it("the app's JSON parser and its own content-type parsers still work on other routes", async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const app = Fastify();
    await app.register(wecomFastify(probe.handler));
    app.addContentTypeParser('text/xml', { parseAs: 'string' }, (_req, body, done) => {
      done(null, { xml: String(body).length });
    });
    app.post('/api', async (req) => ({ got: req.body }));
    const base = await serve(app);
    expect(JSON.parse((await post(`${base}/api`, '{"a":1}', 'application/json')).text)).toEqual({
      got: { a: 1 },
    });
    expect(JSON.parse((await post(`${base}/api`, '<xml/>', 'text/xml')).text)).toEqual({ got: { xml: 6 } });
    // Fastify's own refusal of a body it has no parser for is untouched.
    expect((await post(`${base}/api`, 'x', 'application/x-unknown')).status).toBe(415);
    // The same labels on the handler's path reach the SDK raw, whatever the app parses them into.
    for (const [body, type] of [
      ['{"encrypt":"企"}', 'application/json'],
      ['<xml><Encrypt>企</Encrypt></xml>', 'text/xml'],
      ['{"encrypt":"x"}', 'application/x-unknown'],
    ] as const) {
      const res = await post(`${base}/wecom/bot`, body, type);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ body, contentType: type });
    }
    expect(probe.seen).toHaveLength(3);
  });

  it('hijacks: a route the app declared on the same path never runs, no hook after it does', async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const app = Fastify();
    let routeRuns = 0;
    let preHandlers = 0;
    await app.register(wecomFastify(probe.handler));
    app.addHook('preHandler', async () => {
      preHandlers++;
    });
    app.post('/wecom/bot', async () => {
      routeRuns++;
      return 'route';
    });
    app.post('/mine', async () => 'mine');
    const base = await serve(app);
    const res = await request(`${base}/wecom/bot`, { method: 'POST', body: 'x' });
    expect(JSON.parse(res.text)).toMatchObject({ body: 'x' });
    expect(routeRuns).toBe(0);
    expect(preHandlers).toBe(0);
    expect((await request(`${base}/mine`, { method: 'POST', body: 'y' })).text).toBe('mine');
    expect(preHandlers).toBe(1);
  });

  it('registered inside an encapsulated plugin: it serves that context only', async () => {
    const probe = createProbe({ paths: ['/wecom/bot', '/root/bot'] });
    const app = Fastify();
    await app.register(
      async (scope) => {
        await scope.register(wecomFastify(probe.handler));
        scope.post('/bot', async () => 'never: the hook hijacks it');
        scope.get('/health', wecomHealth({ scope: 'wecom' }));
      },
      { prefix: '/wecom' },
    );
    app.post('/root/bot', async () => 'root route');
    const base = await serve(app);
    const hit = await request(`${base}/wecom/bot?x=%E4%BC%81`, { method: 'POST', body: 'b' });
    expect(JSON.parse(hit.text)).toMatchObject({ pathname: '/wecom/bot', query: { x: '企' }, body: 'b' });
    expect(JSON.parse((await request(`${base}/wecom/health`)).text)).toEqual({
      status: 'ok',
      scope: 'wecom',
    });
    // A path the handler would take, but on a route of the parent context: the hook is not there.
    expect((await request(`${base}/root/bot`, { method: 'POST', body: 'x' })).text).toBe('root route');
    const nowhere = await request(`${base}/nowhere`, { method: 'POST', body: 'x' });
    expect(nowhere.status).toBe(404);
    expect(JSON.parse(nowhere.text)).toMatchObject({ error: 'Not Found' });
    expect(probe.seen).toHaveLength(1);
  });
});
