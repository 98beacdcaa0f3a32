import { createServer } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import type { WeComHandler } from '@maven/wecom-core';
import { botText, decryptAppReply, decryptBotReply } from '@maven/wecom-testing';
import {
  APP_KEYS,
  appCallback,
  BOT,
  botCallback,
  createBot,
  createProbe,
  createRouter,
  listen,
  postCallback,
  type Running,
  request,
  runAdapterContract,
} from '@maven/wecom-testing/contract';
import Koa from 'koa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { wecomHealth, wecomKoa } from '../src/index.ts';

const SDK = { WeComBot, CallbackRouter };

function withOther(app: Koa): Koa {
  app.use(async (ctx, next) => {
    if (ctx.path !== '/other') return next();
    ctx.type = 'text/plain';
    ctx.body = 'other route';
  });
  return app;
}

const serveApp = (app: Koa) => listen(createServer(withOther(app).callback()));

runAdapterContract({
  sdk: SDK,
  name: 'koa',
  start(handlers) {
    const app = new Koa();
    for (const handler of handlers) app.use(wecomKoa(handler));
    return serveApp(app);
  },
  startHealth(extra) {
    const router = new Router();
    router.get('/health', wecomHealth());
    router.get('/health/detail', wecomHealth(extra));
    const app = new Koa();
    app.use(router.routes());
    return serveApp(app);
  },
});

describe('koa: mounting', () => {
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (app: Koa) => {
    server = await serveApp(app);
    return server.base;
  };

  it('in a @koa/router with a prefix, as route handler (router.post / router.get / router.all)', async () => {
    const bot = createProbe({ paths: ['/api/wecom/bot'], name: 'bot' });
    const app2 = createProbe({ paths: ['/api/wecom/app'], name: 'app' });
    const router = new Router({ prefix: '/api' });
    router.get('/wecom/bot', wecomKoa(bot.handler));
    router.post('/wecom/bot', wecomKoa(bot.handler));
    router.all('/wecom/app', wecomKoa(app2.handler));
    const app = new Koa();
    app.use(router.routes());
    const base = await serve(app);
    const res = await request(`${base}/api/wecom/bot?echostr=a%2Bb`, { method: 'POST', body: '<xml/>' });
    expect(JSON.parse(res.text)).toMatchObject({
      probe: 'bot',
      pathname: '/api/wecom/bot',
      query: { echostr: 'a+b' },
      body: '<xml/>',
    });
    expect(JSON.parse((await request(`${base}/api/wecom/app`)).text).probe).toBe('app');
    expect((await request(`${base}/other`)).text).toBe('other route');
  });

  it('a route wider than the handler path: not-my-path goes to the next middleware, never a 200', async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const router = new Router();
    router.all('/wecom/:rest', wecomKoa(probe.handler), (ctx) => {
      ctx.status = 418;
      ctx.body = 'next middleware';
    });
    const app = new Koa();
    app.use(router.routes());
    const base = await serve(app);
    expect((await request(`${base}/wecom/bot`, { method: 'POST', body: 'x' })).status).toBe(200);
    expect(await request(`${base}/wecom/elsewhere`, { method: 'POST', body: 'x' })).toMatchObject({
      status: 418,
      text: 'next middleware',
    });
    const nowhere = await request(`${base}/nowhere`, { method: 'POST', body: 'x' });
    expect(nowhere).toMatchObject({ status: 404, text: 'Not Found' });
    expect(probe.seen).toHaveLength(1);
  });

  it('a handler without a path answers every path it is mounted on; headers and status land on ctx', async () => {
    const probe = createProbe();
    const router = new Router();
    router.post('/hook/:id', wecomKoa(probe.handler));
    const app = new Koa();
    app.use(router.routes());
    const base = await serve(app);
    const res = await request(`${base}/hook/42?y=%E4%BC%81`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<xml/>',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.text)).toMatchObject({ pathname: '/hook/42', query: { y: '企' } });
    const put = await request(`${base}/hook/1`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(404); // the router has no PUT route: Koa's own 404
  });

  it('a method the handler refuses is its own answer (405 with Allow)', async () => {
    const probe = createProbe();
    const app = new Koa();
    app.use(wecomKoa(probe.handler));
    const base = await serve(app);
    const res = await request(`${base}/wecom/bot`, { method: 'PUT', body: 'x' });
    expect(res).toMatchObject({ status: 405, text: 'method_not_allowed' });
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});

describe('koa: body parsers mounted first', () => {
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (parser: Koa.Middleware, handler: WeComHandler) => {
    const app = new Koa();
    app.use(parser);
    app.use(wecomKoa(handler));
    server = await serveApp(app);
    return server.base;
  };
  const post = (base: string, body: string | Uint8Array<ArrayBuffer>, type?: string) =>
    request(`${base}/wecom/bot`, {
      method: 'POST',
      body,
      ...(type === undefined ? {} : { headers: { 'content-type': type } }),
    });

  it('@koa/bodyparser (JSON): its ctx.request.rawBody is used', async () => {
    const probe = createProbe();
    const base = await serve(bodyParser(), probe.handler);
    const res = await post(base, '{"encrypt":"企业"}', 'application/json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).body).toBe('{"encrypt":"企业"}');
  });

  it('@koa/bodyparser with text and XML enabled: rawBody for XML and text too', async () => {
    const probe = createProbe();
    const base = await serve(bodyParser({ enableTypes: ['json', 'form', 'text', 'xml'] }), probe.handler);
    for (const [body, type] of [
      ['<xml><Encrypt>企</Encrypt></xml>', 'text/xml'],
      ['<xml><Encrypt>企</Encrypt></xml>', 'application/xml'],
      ['{"encrypt":"企"}', 'text/plain'],
    ] as const) {
      const res = await post(base, body, type);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).body).toBe(body);
    }
  });

  it('@koa/bodyparser skipping a type it does not parse: the raw stream is read', async () => {
    const probe = createProbe();
    const base = await serve(bodyParser(), probe.handler);
    const res = await post(base, '<xml><Encrypt>x</Encrypt></xml>', 'text/xml');
    expect(JSON.parse(res.text)).toMatchObject({ body: '<xml><Encrypt>x</Encrypt></xml>' });
    const none = await post(base, new TextEncoder().encode('{"encrypt":"x"}'));
    expect(JSON.parse(none.text)).toMatchObject({ body: '{"encrypt":"x"}', contentType: null });
  });

  it('@koa/bodyparser with patchNode: ctx.req.rawBody is used', async () => {
    const probe = createProbe();
    const base = await serve(bodyParser({ patchNode: true }), probe.handler);
    const res = await post(base, '{"encrypt":"x"}', 'application/json');
    expect(JSON.parse(res.text).body).toBe('{"encrypt":"x"}');
  });

  it('a parser that consumed the body into an object and kept no raw text: 500 at once, saying how to mount', async () => {
    const probe = createProbe();
    // Like koa-body without includeUnparsed: reads the stream, keeps only the parsed object.
    const objectOnly: Koa.Middleware = async (ctx, next) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
      await next();
    };
    const base = await serve(objectOnly, probe.handler);
    const res = await post(base, '{"encrypt":"x"}', 'application/json');
    expect(res).toMatchObject({ status: 500, text: 'body_already_parsed' });
    expect(probe.seen).toHaveLength(0);
  });

  it('the body cap still applies to a body the parser kept as rawBody (counted in bytes)', async () => {
    const probe = createProbe({ maxBodyBytes: 64 });
    const base = await serve(bodyParser(), probe.handler);
    const res = await post(base, JSON.stringify({ encrypt: '企'.repeat(20) }), 'application/json');
    expect(res).toMatchObject({ status: 413, text: 'body_too_large' });
    expect(probe.seen).toHaveLength(0);
  });
});

describe('koa: body parsers in front of the real WeComBot and CallbackRouter', () => {
  const bot = createBot(SDK);
  const router = createRouter(SDK);
  bot.on('text', async (_message, ctx) => {
    await ctx.stream().finish('streamed answer');
  });
  router.on('text', async (_message, ctx) => {
    await ctx.reply('passive answer');
  });
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await bot.close({ timeoutMs: 1000 });
    await router.close({ timeoutMs: 1000 });
  });
  const serve = async (parser: Koa.Middleware) => {
    const app = new Koa();
    app.silent = true; // the parser's own 400s are expected below
    app.use(parser);
    app.use(wecomKoa(bot));
    app.use(wecomKoa(router));
    server = await serveApp(app);
    return server.base;
  };
  const streamed = (res: { status: number; text: string }, nonce: string) => {
    expect(res.status).toBe(200);
    expect(decryptBotReply(res.text, { ...BOT, expectNonce: nonce })?.stream?.content).toBe(
      'streamed answer',
    );
  };
  const passive = (res: { status: number; text: string }) => {
    expect(res.status).toBe(200);
    expect(decryptAppReply(res.text, APP_KEYS)?.message.Content).toBe('passive answer');
  };

  it('@koa/bodyparser defaults: JSON via its rawBody, XML (not parsed) from the stream', async () => {
    const base = await serve(bodyParser());
    const cb = botCallback(botText({ content: 'hi' }));
    streamed(await postCallback(`${base}/wecom/bot`, cb, 'application/json'), cb.nonce);
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'text/xml'));
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi')));
  });

  it('@koa/bodyparser with XML enabled: rawBody for the XML callback', async () => {
    const base = await serve(bodyParser({ enableTypes: ['json', 'form', 'text', 'xml'] }));
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'text/xml'));
    const cb = botCallback(botText({ content: 'hi' }));
    streamed(await postCallback(`${base}/wecom/bot`, cb, 'text/plain'), cb.nonce);
  });

  it('a body the parser cannot read as its Content-Type says fails in the parser (400): mount the middleware first', async () => {
    // XML labelled application/json: @koa/bodyparser throws before the WeCom middleware runs.
    const base = await serve(bodyParser());
    const res = await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'application/json');
    expect(res.status).toBe(400);
    await server?.close();
    // Mounted before the parser, the middleware reads the raw stream whatever the label.
    const app = new Koa();
    app.use(wecomKoa(router));
    app.use(bodyParser());
    server = await serveApp(app);
    passive(await postCallback(`${server.base}/wecom/callback`, appCallback('hi'), 'application/json'));
  });
});
