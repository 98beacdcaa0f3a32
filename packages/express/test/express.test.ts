import { createServer } from 'node:http';
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
import express from 'express';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { wecomExpress, wecomHealth } from '../src/index.ts';

const SDK = { WeComBot, CallbackRouter };

function withOther(app: express.Express): express.Express {
  app.all('/other', (_req, res) => {
    res.type('text/plain').send('other route');
  });
  return app;
}

runAdapterContract({
  sdk: SDK,
  name: 'express',
  start(handlers) {
    const app = express();
    for (const handler of handlers) app.use(wecomExpress(handler));
    return listen(createServer(withOther(app)));
  },
  startHealth(extra) {
    const app = express();
    app.get('/health', wecomHealth());
    app.get('/health/detail', wecomHealth(extra));
    return listen(createServer(app));
  },
});

describe('express: mounting', () => {
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (app: express.Express) => {
    server = await listen(createServer(withOther(app)));
    return server.base;
  };

  it('under app.use(path): the handler path is the full request path, not the mount-relative one', async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const app = express();
    app.use('/wecom', wecomExpress(probe.handler));
    const base = await serve(app);
    const res = await request(`${base}/wecom/bot?x=1`, { method: 'POST', body: 'hi' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ pathname: '/wecom/bot', query: { x: '1' }, body: 'hi' });
    // `/wecom/app` reaches the middleware (it is under the mount) but is not the handler's.
    expect((await request(`${base}/wecom/app`, { method: 'POST', body: 'hi' })).status).toBe(404);
    expect(probe.seen).toHaveLength(1);
  });

  it('under app.use(path) with a handler that has no path: every path under the mount', async () => {
    const probe = createProbe();
    const app = express();
    app.use('/wecom/bot', wecomExpress(probe.handler));
    const base = await serve(app);
    const res = await request(`${base}/wecom/bot/anything?y=2`);
    expect(JSON.parse(res.text)).toMatchObject({ pathname: '/wecom/bot/anything', query: { y: '2' } });
    expect((await request(`${base}/other`)).text).toBe('other route');
  });

  it('as a route handler in a Router mounted under a prefix (router.post / router.get)', async () => {
    const probe = createProbe({ paths: ['/api/wecom/bot'] });
    const router = express.Router();
    router.get('/wecom/bot', wecomExpress(probe.handler));
    router.post('/wecom/bot', wecomExpress(probe.handler));
    const app = express();
    app.use('/api', router);
    const base = await serve(app);
    const res = await request(`${base}/api/wecom/bot?echostr=a%2Bb`, { method: 'POST', body: '<xml/>' });
    expect(JSON.parse(res.text)).toMatchObject({ pathname: '/api/wecom/bot', body: '<xml/>' });
    expect(JSON.parse((await request(`${base}/api/wecom/bot?echostr=a%2Bb`)).text).query).toEqual({
      echostr: 'a+b',
    });
  });

  it('with app.all(path): not-my-path goes to the next route, never a 200 from the handler', async () => {
    const probe = createProbe({ paths: ['/wecom/bot'] });
    const app = express();
    // The route matches more than the handler's path: the rest must reach the next route.
    app.all('/wecom/{*rest}', wecomExpress(probe.handler));
    app.all('/wecom/{*rest}', (_req, res) => {
      res.status(418).send('next route');
    });
    const base = await serve(app);
    expect((await request(`${base}/wecom/bot`, { method: 'POST', body: 'x' })).status).toBe(200);
    expect(await request(`${base}/wecom/elsewhere`, { method: 'POST', body: 'x' })).toMatchObject({
      status: 418,
      text: 'next route',
    });
    // A method the handler refuses is its own answer (405), not a fall-through.
    const put = await request(`${base}/wecom/bot`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });
});

describe('express: body parsers mounted first', () => {
  let server: Running | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (parser: express.RequestHandler, handler: WeComHandler) => {
    const app = express();
    app.use(parser);
    app.use('/wecom/bot', wecomExpress(handler));
    server = await listen(createServer(withOther(app)));
    return server.base;
  };
  const post = (base: string, body: string | Uint8Array<ArrayBuffer>, type?: string) =>
    request(`${base}/wecom/bot`, {
      method: 'POST',
      body,
      ...(type === undefined ? {} : { headers: { 'content-type': type } }),
    });

  it('express.json() that parsed an envelope into { encrypt }: the envelope is rebuilt (the signature covers only encrypt)', async () => {
    const probe = createProbe();
    const base = await serve(express.json(), probe.handler);
    const res = await post(base, '{"encrypt":"abc+/="}', 'application/json');
    expect(res.status).toBe(200);
    expect(probe.seen).toHaveLength(1);
  });

  it('express.json() that parsed a body with no envelope: 500 at once, saying how to mount', async () => {
    const probe = createProbe();
    const base = await serve(express.json(), probe.handler);
    const res = await post(base, '{"text":"abc"}', 'application/json');
    expect(res).toMatchObject({ status: 500, text: 'body_already_parsed' });
    expect(probe.seen).toHaveLength(0);
  });

  it('express.json() that skipped the body (XML, other types): the raw stream is read', async () => {
    const probe = createProbe();
    const base = await serve(express.json(), probe.handler);
    const res = await post(base, '<xml><Encrypt>x</Encrypt></xml>', 'text/xml');
    expect(JSON.parse(res.text)).toMatchObject({ body: '<xml><Encrypt>x</Encrypt></xml>' });
    const none = await post(base, new TextEncoder().encode('{"encrypt":"x"}'));
    expect(JSON.parse(none.text)).toMatchObject({ body: '{"encrypt":"x"}', contentType: null });
  });

  it('express.json({ verify }) keeping req.rawBody: works for JSON', async () => {
    const probe = createProbe();
    const keepRaw = express.json({
      verify: (req, _res, buf) => {
        Object.assign(req, { rawBody: buf });
      },
    });
    const base = await serve(keepRaw, probe.handler);
    const res = await post(base, '{"encrypt":"企业"}', 'application/json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).body).toBe('{"encrypt":"企业"}');
  });

  it("express.text({ type: '*/*' }): the string body is used, XML and JSON alike", async () => {
    const probe = createProbe();
    const base = await serve(express.text({ type: '*/*' }), probe.handler);
    for (const [body, type] of [
      ['<xml><Encrypt>企</Encrypt></xml>', 'text/xml'],
      ['{"encrypt":"企"}', 'application/json'],
    ] as const) {
      const res = await post(base, body, type);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).body).toBe(body);
    }
  });

  it("express.raw({ type: '*/*' }): the Buffer body is used", async () => {
    const probe = createProbe();
    const base = await serve(express.raw({ type: '*/*' }), probe.handler);
    const res = await post(base, '{"encrypt":"企"}', 'application/json');
    expect(JSON.parse(res.text).body).toBe('{"encrypt":"企"}');
  });

  it('express.urlencoded() on a form-typed body: 500 body_already_parsed, never a hang', async () => {
    const probe = createProbe();
    const base = await serve(express.urlencoded(), probe.handler);
    const res = await post(base, 'a=1', 'application/x-www-form-urlencoded');
    expect(res).toMatchObject({ status: 500, text: 'body_already_parsed' });
  });
});

describe('express: body parsers in front of the real WeComBot and CallbackRouter', () => {
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
  const serve = async (parser: express.RequestHandler) => {
    const app = express();
    app.use(parser);
    app.use(wecomExpress(bot));
    app.use(wecomExpress(router));
    server = await listen(createServer(app));
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

  it('behind a global express.json(): a JSON bot callback it parsed is answered; an XML app callback it skipped works', async () => {
    const base = await serve(express.json());
    const cb = botCallback(botText({ content: 'hi' }));
    streamed(await postCallback(`${base}/wecom/bot`, cb, 'application/json'), cb.nonce);
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'text/xml'));
  });

  it('a body the parser cannot read as its Content-Type says fails in the parser (400): mount the middleware first', async () => {
    // XML labelled application/json: express.json() errors before the WeCom middleware runs.
    const base = await serve(express.json());
    const res = await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'application/json');
    expect(res.status).toBe(400);
    await server?.close();
    // Mounted before the parser, the middleware reads the raw stream whatever the label.
    const app = express();
    app.use(wecomExpress(router));
    app.use(wecomExpress(bot));
    app.use(express.json());
    server = await listen(createServer(app));
    passive(await postCallback(`${server.base}/wecom/callback`, appCallback('hi'), 'application/json'));
    const cb = botCallback(botText({ content: 'hi' }));
    streamed(await postCallback(`${server.base}/wecom/bot`, cb, 'application/json'), cb.nonce);
  });

  it("express.text({ type: '*/*' }): both work, whatever the Content-Type", async () => {
    const base = await serve(express.text({ type: '*/*' }));
    const cb = botCallback(botText({ content: 'hi' }));
    streamed(await postCallback(`${base}/wecom/bot`, cb, 'application/json'), cb.nonce);
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'text/xml'));
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi'), 'application/json'));
  });

  it("express.raw({ type: '*/*' }): both work", async () => {
    const base = await serve(express.raw({ type: '*/*' }));
    const cb = botCallback(botText({ content: 'hi' }));
    streamed(await postCallback(`${base}/wecom/bot`, cb, 'text/plain'), cb.nonce);
    passive(await postCallback(`${base}/wecom/callback`, appCallback('hi')));
  });
});

it('wecomExpress() is a (req, res, next) middleware, not an error handler', () => {
  expect(wecomExpress(createProbe().handler)).toHaveLength(3);
});
