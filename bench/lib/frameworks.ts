/**
 * Serves WeCom handlers on one of the five ways the SDK is mounted — Express, Koa, Hono on
 * @hono/node-server, plain node:http via core's toNodeListener, Fastify — with an optional bare
 * route that answers `200 success` in the same framework (the floor the SDK is measured against).
 *
 * The frameworks are dependencies of the adapter packages, not of the repository root, so they
 * are loaded with a require rooted in each adapter package, and typed here by the little we use.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toNodeListener, type WeComHandler } from '../../packages/core/src/index.ts';
import { wecomExpress as expressMiddleware } from '../../packages/express/src/index.ts';
import { wecomFastify } from '../../packages/fastify/src/index.ts';
import { wecomHono } from '../../packages/hono/src/index.ts';
import { wecomKoa as koaMiddleware } from '../../packages/koa/src/index.ts';

/**
 * Options of every server made here. Node checks header and request timeouts every 30 s unless
 * told otherwise when the server is created; every 1 s, as the examples do
 * (examples/shared/http-server.ts), a configured timeout holds within a second.
 */
export const SERVER_OPTIONS = Object.freeze({ connectionsCheckingInterval: 1000 });

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const ADAPTERS = ['express', 'koa', 'hono', 'node', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

export const ADAPTER_LABELS: Record<AdapterName, string> = {
  express: 'Express 5',
  koa: 'Koa 3',
  hono: 'Hono 4 (@hono/node-server)',
  node: 'node:http (toNodeListener)',
  fastify: 'Fastify 5',
};

/** The path of the bare `200 success` route. */
export const BARE_PATH = '/bare';
/** The path of the hand-written floor route (see `ServeOptions.floor`). */
export const FLOOR_PATH = '/floor';

/** A route written by hand without the SDK: raw URL and body in, an answer out (synchronous). */
export type FloorHandler = (url: string, body: string) => { status: number; type: string; body: string };

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => unknown;
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  post(path: string, handler: NodeHandler): void;
  use(handler: unknown): void;
  disable(setting: string): void;
}
interface KoaContext {
  path: string;
  method: string;
  body: unknown;
  status: number;
  originalUrl: string;
  req: IncomingMessage;
  type: string;
}
interface KoaApp {
  use(middleware: unknown): void;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
interface HonoContext {
  text(body: string, status?: number): Response;
  body(data: string, status: number, headers: Record<string, string>): Response;
  req: { url: string; text(): Promise<string> };
}
interface HonoApp {
  post(path: string, handler: (c: HonoContext) => Response | Promise<Response>): void;
  use(middleware: unknown): void;
  notFound(handler: (c: HonoContext) => Response): void;
  fetch: (request: Request, ...rest: unknown[]) => Response | Promise<Response>;
}
interface FastifyRequest {
  raw: IncomingMessage;
  body: unknown;
}
interface FastifyReply {
  code(status: number): FastifyReply;
  type(contentType: string): FastifyReply;
  send(body: string): FastifyReply;
}
interface FastifyApp {
  register(plugin: unknown): Promise<unknown>;
  post(path: string, handler: (request: FastifyRequest, reply: FastifyReply) => unknown): void;
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'string' },
    parser: (request: FastifyRequest, body: string, done: (error: null, body: string) => void) => void,
  ): void;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
  server: Server;
}
interface HonoNodeServer {
  serve(
    options: { fetch: HonoApp['fetch']; port: number; hostname: string; serverOptions?: object },
    listening: (info: AddressInfo) => void,
  ): Server;
}

function requireFrom(adapterPackage: string): NodeJS.Require {
  return createRequire(resolve(REPO_ROOT, 'packages', adapterPackage, 'package.json'));
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => {
      server.off('error', fail);
      done((server.address() as AddressInfo).port);
    });
  });
}

function answerBare(res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('success');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function answerFloor(floor: FloorHandler, req: IncomingMessage, res: ServerResponse): void {
  readBody(req).then(
    (body) => {
      const out = floor(req.url ?? '/', body);
      res.statusCode = out.status;
      res.setHeader('content-type', out.type);
      res.end(out.body);
    },
    () => res.destroy(),
  );
}

function notFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.end('not found');
}

export interface Served {
  readonly adapter: AdapterName;
  readonly port: number;
  readonly url: string;
  readonly server: Server;
  /** Stops accepting connections; resolves when every connection has ended. */
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Add the bare `POST /bare` → `200 success` route. Default true. */
  bare?: boolean;
  /** Add `POST /floor`, answered by this function (the body read in full first). */
  floor?: FloorHandler;
  host?: string;
}

/**
 * Mounts every handler (each answers its own paths; the others fall through) on a fresh server of
 * the given framework, listening on an ephemeral loopback port.
 */
export async function serve(
  adapter: AdapterName,
  handlers: readonly WeComHandler[],
  options: ServeOptions = {},
): Promise<Served> {
  const host = options.host ?? '127.0.0.1';
  const bare = options.bare ?? true;
  let server: Server;
  if (adapter === 'express') {
    const express = requireFrom('express')('express') as () => ExpressApp;
    const app = express();
    app.disable('x-powered-by');
    if (bare) app.post(BARE_PATH, (_req, res) => answerBare(res));
    const floor = options.floor;
    if (floor) app.post(FLOOR_PATH, (req, res) => answerFloor(floor, req, res));
    for (const handler of handlers) app.use(expressMiddleware(handler));
    server = createServer(SERVER_OPTIONS, app);
  } else if (adapter === 'koa') {
    const Koa = requireFrom('koa')('koa') as new () => KoaApp;
    const app = new Koa();
    if (bare) {
      app.use(async (ctx: KoaContext, next: () => Promise<void>) => {
        if (ctx.method === 'POST' && ctx.path === BARE_PATH) {
          ctx.status = 200;
          ctx.body = 'success';
          return;
        }
        await next();
      });
    }
    const floor = options.floor;
    if (floor) {
      app.use(async (ctx: KoaContext, next: () => Promise<void>) => {
        if (ctx.method === 'POST' && ctx.path === FLOOR_PATH) {
          const out = floor(ctx.originalUrl, await readBody(ctx.req));
          ctx.status = out.status;
          ctx.type = out.type;
          ctx.body = out.body;
          return;
        }
        await next();
      });
    }
    for (const handler of handlers) app.use(koaMiddleware(handler));
    server = createServer(SERVER_OPTIONS, app.callback());
  } else if (adapter === 'hono') {
    const req = requireFrom('hono');
    const { Hono } = req('hono') as { Hono: new () => HonoApp };
    const { serve: serveHono } = req('@hono/node-server') as HonoNodeServer;
    const app = new Hono();
    if (bare) app.post(BARE_PATH, (c) => c.text('success'));
    const floor = options.floor;
    if (floor) {
      app.post(FLOOR_PATH, async (c) => {
        const url = new URL(c.req.url);
        const out = floor(url.pathname + url.search, await c.req.text());
        return c.body(out.body, out.status, { 'content-type': out.type });
      });
    }
    for (const handler of handlers) app.use(wecomHono(handler));
    app.notFound((c) => c.text('not found', 404));
    const started = await new Promise<{ server: Server; port: number }>((done, fail) => {
      const s = serveHono(
        { fetch: app.fetch, port: 0, hostname: host, serverOptions: SERVER_OPTIONS },
        (info) => done({ server: s, port: info.port }),
      );
      s.once('error', fail);
    });
    return finish(adapter, started.server, started.port, host);
  } else if (adapter === 'fastify') {
    const Fastify = requireFrom('fastify')('fastify') as (options: Record<string, unknown>) => FastifyApp;
    const app = Fastify({
      logger: false,
      serverFactory: (handler: RequestListener) => createServer(SERVER_OPTIONS, handler),
    });
    // Every body as a string, whatever its type (the floor wants the raw text; Fastify refuses a
    // text/xml body it has no parser for). The WeCom paths are answered before any parsing.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    // The plugin's onRequest hook sees every request, these routes' too: Fastify runs hooks after
    // routing, so no route comes before it (as the bare route comes before the middleware in Express).
    if (bare)
      app.post(BARE_PATH, (_request, reply) => reply.type('text/plain; charset=utf-8').send('success'));
    const floor = options.floor;
    if (floor) {
      app.post(FLOOR_PATH, (request, reply) => {
        const out = floor(request.raw.url ?? '/', String(request.body ?? ''));
        return reply.code(out.status).type(out.type).send(out.body);
      });
    }
    for (const handler of handlers) await app.register(wecomFastify(handler));
    await app.listen({ port: 0, host });
    const served = finish(adapter, app.server, (app.server.address() as AddressInfo).port, host);
    return { ...served, close: () => app.close() };
  } else {
    let listener: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => notFound(res);
    for (const handler of [...handlers].reverse()) listener = toNodeListener(handler, { next: listener });
    const wecom = listener;
    const floor = options.floor;
    server = createServer(SERVER_OPTIONS, (req, res) => {
      const path = (req.url ?? '').split('?', 1)[0];
      if (bare && req.method === 'POST' && path === BARE_PATH) answerBare(res);
      else if (floor && req.method === 'POST' && path === FLOOR_PATH) answerFloor(floor, req, res);
      else wecom(req, res);
    });
  }
  const port = await listen(server, host);
  return finish(adapter, server, port, host);
}

function finish(adapter: AdapterName, server: Server, port: number, host: string): Served {
  // Generous keep-alive: the load generators reuse their connections.
  server.keepAliveTimeout = 30_000;
  return {
    adapter,
    port,
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      }),
  };
}
