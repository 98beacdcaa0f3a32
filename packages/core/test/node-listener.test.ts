import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  type MaybeParsedRequest,
  readNodeBody,
  serveNode,
  textResponse,
  toNodeListener,
  type WebhookSpec,
  type WeComHandler,
  writeNodeResponse,
} from '../src/index.js';
import { listen, type Running, rawExchange, rawRequest } from './helpers.js';

const servers: Running[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const running = await listen(listener);
  servers.push(running);
  return running;
}

function echoHandler(overrides: Partial<WebhookSpec> = {}): WeComHandler {
  return createWebhookHandler({
    paths: ['/wecom/bot'],
    maxBodyBytes: 1024,
    async onGet(request) {
      return textResponse(200, request.query.get('echostr') ?? '');
    },
    async onPost(request) {
      return textResponse(200, `got:${request.body}`);
    },
    ...overrides,
  });
}

describe('toNodeListener on a real node:http server', () => {
  it('GET and POST round trip', async () => {
    const { origin } = await serve(toNodeListener(echoHandler()));
    const get = await fetch(`${origin}/wecom/bot?echostr=a%2Bb%3D`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('a+b=');
    const post = await fetch(`${origin}/wecom/bot`, { method: 'POST', body: '{"encrypt":"中文"}' });
    expect(post.status).toBe(200);
    expect(post.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(post.headers.get('content-length')).toBe(
      String(new TextEncoder().encode('got:{"encrypt":"中文"}').length),
    );
    expect(await post.text()).toBe('got:{"encrypt":"中文"}');
    const put = await fetch(`${origin}/wecom/bot`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });

  it('Content-Length counts the UTF-8 bytes sent: astral characters and a lone surrogate (sent as U+FFFD)', async () => {
    const body = 'ok 😀 中 \uD800 end';
    const { port } = await serve(
      toNodeListener(echoHandler({ onPost: async () => textResponse(200, body) })),
    );
    const res = await fetch(`http://127.0.0.1:${port}/wecom/bot`, { method: 'POST', body: 'x' });
    const sent = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get('content-length')).toBe(String(sent.length));
    expect(new TextDecoder().decode(sent)).toBe('ok 😀 中 \uFFFD end');
  });

  it('413 for a declared Content-Length over the cap: connection closed, server keeps serving', async () => {
    const { port, origin } = await serve(toNodeListener(echoHandler({ maxBodyBytes: 100 })));
    const { text, closedByServer } = await rawExchange(
      port,
      `POST /wecom/bot HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`,
    );
    expect(text.startsWith('HTTP/1.1 413')).toBe(true);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.endsWith('body_too_large')).toBe(true);
    expect(closedByServer).toBe(true);
    const after = await fetch(`${origin}/wecom/bot`, { method: 'POST', body: 'small' });
    expect(await after.text()).toBe('got:small');
  });

  it('413 for a chunked body that passes the cap while streaming', async () => {
    const { port, origin } = await serve(toNodeListener(echoHandler({ maxBodyBytes: 100 })));
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const { text, closedByServer } = await rawExchange(
      port,
      `POST /wecom/bot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(80))}${chunk('b'.repeat(80))}`,
    );
    expect(text.startsWith('HTTP/1.1 413')).toBe(true);
    expect(closedByServer).toBe(true);
    const res = await rawRequest(port, { method: 'POST', path: '/wecom/bot', body: 'ok' });
    expect(res.body).toBe('got:ok');
    expect((await fetch(`${origin}/wecom/bot?echostr=e`)).status).toBe(200);
  });

  it('408 when the body does not arrive within bodyTimeoutMs, connection closed', async () => {
    const { port } = await serve(toNodeListener(echoHandler(), { bodyTimeoutMs: 50 }));
    // Declares 100 bytes, sends 10, then stalls.
    const { text, closedByServer } = await rawExchange(
      port,
      'POST /wecom/bot HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789',
    );
    expect(text.startsWith('HTTP/1.1 408')).toBe(true);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.endsWith('request_timeout')).toBe(true);
    expect(closedByServer).toBe(true);
    const ok = await rawRequest(port, { method: 'POST', path: '/wecom/bot', body: 'fine' });
    expect(ok.body).toBe('got:fine');
  });

  it('other paths go to next when given, else 404; the body is not read for them', async () => {
    const seen: string[] = [];
    const withNext = await serve(
      toNodeListener(echoHandler(), {
        next: (req, res) => {
          seen.push(req.url ?? '');
          res.statusCode = 299;
          res.end('next');
        },
      }),
    );
    const res = await fetch(`${withNext.origin}/health?x=1`);
    expect(res.status).toBe(299);
    expect(await res.text()).toBe('next');
    expect(seen).toEqual(['/health?x=1']);
    expect(await (await fetch(`${withNext.origin}/wecom/bot?echostr=z`)).text()).toBe('z');
    const without = await serve(toNodeListener(echoHandler({ maxBodyBytes: 10 })));
    const notFound = await fetch(`${without.origin}/elsewhere`, { method: 'POST', body: 'x'.repeat(100) });
    // 404, not 413: the path is refused before any body is read.
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toBe('not_found');
  });
});

describe('serveNode', () => {
  it('takes the URL and the context in its options object', async () => {
    const contexts: unknown[] = [];
    const handler = createWebhookHandler({
      maxBodyBytes: 100,
      async onGet(request, context) {
        contexts.push(context);
        return textResponse(200, request.pathname);
      },
      async onPost() {
        return textResponse(200, 'post');
      },
    });
    const waitUntil = () => {};
    const { origin } = await serve((req, res) => {
      if (req.url?.startsWith('/positional'))
        void serveNode(handler, req, res, { url: '/rewritten', context: { waitUntil } });
      else void serveNode(handler, req, res, { url: '/from-options', context: { waitUntil } });
    });
    expect(await (await fetch(`${origin}/positional`)).text()).toBe('/rewritten');
    expect(await (await fetch(`${origin}/other`)).text()).toBe('/from-options');
    expect(contexts).toEqual([{ waitUntil }, { waitUntil }]);
  });

  it('uses req.originalUrl (Express under a mount path) when present', async () => {
    const handler = echoHandler();
    const { origin } = await serve((req, res) => {
      const r = req as MaybeParsedRequest;
      r.originalUrl = `/wecom${req.url}`;
      void serveNode(handler, r, res);
    });
    expect(await (await fetch(`${origin}/bot?echostr=m`)).text()).toBe('m');
  });

  it('a handler whose receive() throws still gets an answer (500), never an unhandled rejection', async () => {
    const broken: WeComHandler = {
      ...echoHandler(),
      matches: () => true,
      receive: () => Promise.reject(new Error('boom')),
    };
    const { origin } = await serve((req, res) => void serveNode(broken, req, res));
    const res = await fetch(`${origin}/wecom/bot`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('internal_error');
  });

  it('a response header Node refuses becomes a bare 500', async () => {
    const handler = createWebhookHandler({
      maxBodyBytes: 100,
      async onGet() {
        return textResponse(200, 'x', { 'x-bad': 'line\nbreak' });
      },
      async onPost() {
        return textResponse(200, 'x');
      },
    });
    const { origin } = await serve(toNodeListener(handler));
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(500);
    expect(res.headers.get('x-bad')).toBeNull();
    expect(await res.text()).toBe('internal_error');
  });
});

describe('readNodeBody', () => {
  /** Runs `prepare` on each request (as a body parser would), then serveNode. */
  async function withParser(prepare: (req: MaybeParsedRequest) => Promise<void> | void, maxBodyBytes = 1024) {
    const handler = echoHandler({ paths: undefined, maxBodyBytes });
    return serve((req, res) => {
      void (async () => {
        await prepare(req as MaybeParsedRequest);
        await serveNode(handler, req, res);
      })();
    });
  }

  async function consume(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  it('uses rawBody, or a string or Buffer body left by a parser', async () => {
    const raw = await withParser(async (req) => {
      const buf = await consume(req);
      // Through `unknown`: some body-parser typings declare rawBody as a string on IncomingMessage.
      (req as { rawBody?: unknown }).rawBody = buf;
      req.body = JSON.parse(buf.toString());
    });
    expect(await (await fetch(`${raw.origin}/`, { method: 'POST', body: '{"a":1}' })).text()).toBe(
      'got:{"a":1}',
    );
    const rawString = await withParser(async (req) => {
      req.rawBody = (await consume(req)).toString();
    });
    expect(await (await fetch(`${rawString.origin}/`, { method: 'POST', body: 's' })).text()).toBe('got:s');
    const text = await withParser(async (req) => {
      req.body = (await consume(req)).toString();
    });
    expect(await (await fetch(`${text.origin}/`, { method: 'POST', body: '<xml/>' })).text()).toBe(
      'got:<xml/>',
    );
    const buffer = await withParser(async (req) => {
      req.body = await consume(req);
    });
    expect(await (await fetch(`${buffer.origin}/`, { method: 'POST', body: 'bytes' })).text()).toBe(
      'got:bytes',
    );
    // The cap applies to a pre-read body too.
    const big = await withParser(async (req) => {
      req.body = await consume(req);
    }, 4);
    expect((await fetch(`${big.origin}/`, { method: 'POST', body: 'too long' })).status).toBe(413);
  });

  it('a body parsed into an object is a 500 body_already_parsed with a helpful message', async () => {
    let message = '';
    const handler = echoHandler({ paths: undefined });
    const { origin } = await serve((req, res) => {
      void (async () => {
        const r = req as MaybeParsedRequest;
        r.body = JSON.parse((await consume(req)).toString());
        try {
          await readNodeBody(r, { maxBytes: 100 });
        } catch (error) {
          message = (error as Error).message;
        }
        await serveNode(handler, r, res);
      })();
    });
    const res = await fetch(`${origin}/`, { method: 'POST', body: '{"text":"no envelope"}' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('body_already_parsed');
    expect(message).toMatch(/left no usable envelope/);
    expect(message).toMatch(/rawBody/);
  });

  it('a parser that left nothing usable: 500 each time, and exactly one error line with the advice', async () => {
    const lines: string[] = [];
    const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
    const handler = echoHandler({
      paths: undefined,
      logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    });
    const { origin } = await serve((req, res) => {
      void (async () => {
        const r = req as MaybeParsedRequest;
        r.body = JSON.parse((await consume(req)).toString());
        await serveNode(handler, r, res, { framework: 'koa' });
      })();
    });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${origin}/`, { method: 'POST', body: '{"text":"no envelope"}' });
      expect(res.status).toBe(500);
    }
    const errors = lines.filter((l) => l.startsWith('error '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/mount wecomKoa\(handler\) before the body parser/);
  });

  it('an envelope a parser already turned into an object is rebuilt: JSON { encrypt } and XML Encrypt', async () => {
    const seen: string[] = [];
    const handler = createWebhookHandler({
      maxBodyBytes: 1024,
      async onGet() {
        return textResponse(200, 'get');
      },
      async onPost(request) {
        seen.push(request.body);
        return textResponse(200, 'ok');
      },
    });
    const bodies: unknown[] = [
      { encrypt: 'QUJD+/==' },
      { xml: { tousername: ['ww1'], agentid: ['1000002'], encrypt: ['QUJD'] } },
      { ToUserName: 'x]]><evil/>', Encrypt: 'QUJD' },
    ];
    let i = 0;
    const { origin } = await serve((req, res) => {
      void (async () => {
        await consume(req);
        (req as MaybeParsedRequest).body = bodies[i++];
        await serveNode(handler, req, res);
      })();
    });
    for (let k = 0; k < bodies.length; k++) {
      expect((await fetch(`${origin}/`, { method: 'POST', body: 'x' })).status).toBe(200);
    }
    expect(seen).toEqual([
      '{"encrypt":"QUJD+/=="}',
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[QUJD]]></Encrypt></xml>',
      '<xml><Encrypt><![CDATA[QUJD]]></Encrypt></xml>',
    ]);
  });

  it('a parser that skipped the body ({} left on req.body) does not hide it, even once Node marked it complete', async () => {
    let completeBeforeRead: boolean | undefined;
    const handler = echoHandler({ paths: undefined });
    const { origin } = await serve((req, res) => {
      // As express.json() does for a content type it does not parse: req.body = {}, stream untouched.
      (req as MaybeParsedRequest).body = {};
      setTimeout(() => {
        completeBeforeRead = req.complete;
        void serveNode(handler, req, res);
      }, 20);
    });
    const res = await fetch(`${origin}/`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<xml><Encrypt>x</Encrypt></xml>',
    });
    expect(await res.text()).toBe('got:<xml><Encrypt>x</Encrypt></xml>');
    expect(completeBeforeRead).toBe(true);
  });

  it('an empty parsed body on a bodyless request is an empty body; a consumed stream with a body is refused', async () => {
    const empty = await withParser(async (req) => {
      await consume(req);
      req.body = {};
    });
    expect(await (await fetch(`${empty.origin}/?echostr=ok`)).text()).toBe('ok');
    const consumed = await withParser(async (req) => {
      await consume(req);
    });
    const res = await fetch(`${consumed.origin}/`, { method: 'POST', body: 'gone' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('body_already_parsed');
    const consumedEmpty = await withParser(async (req) => {
      await consume(req);
    });
    expect(await (await fetch(`${consumedEmpty.origin}/`, { method: 'POST' })).text()).toBe('got:');
  });

  it('a client that disconnects mid-body settles the read with bad_request', async () => {
    let settled: unknown;
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const { port } = await serve((req) => {
      readNodeBody(req, { maxBytes: 1000, timeoutMs: 5000 }).then(
        () => {
          settled = 'resolved';
          done();
        },
        (error: { code?: string }) => {
          settled = error.code;
          done();
        },
      );
    });
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => socket.destroy(), 20);
    });
    socket.on('error', () => {});
    await finished;
    expect(settled).toBe('bad_request');
  });
});

describe('writeNodeResponse', () => {
  it('does nothing once headers were sent', async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(201, { 'content-type': 'text/plain' });
      writeNodeResponse(res, textResponse(500, 'late'));
      res.end('first');
    });
    const res = await fetch(origin);
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('first');
  });
});
