import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  handleFetch,
  type ReceiveContext,
  textResponse,
  toFetchHandler,
} from '../src/index.js';
import { listen } from './helpers.js';

function recordingHandler() {
  const contexts: ReceiveContext[] = [];
  const handler = createWebhookHandler({
    paths: ['/wecom/bot'],
    maxBodyBytes: 100,
    async onGet(request, context) {
      contexts.push(context);
      return textResponse(200, request.query.get('echostr') ?? '');
    },
    async onPost(request, context) {
      contexts.push(context);
      context.waitUntil?.(Promise.resolve('background'));
      return textResponse(200, `got:${request.body}`);
    },
  });
  return { contexts, fetchHandler: toFetchHandler(handler) };
}

describe('toFetchHandler', () => {
  it('Request in, Response out; other paths 404', async () => {
    const { fetchHandler } = recordingHandler();
    const res = await fetchHandler(
      new Request('https://w.example/wecom/bot', { method: 'POST', body: 'hi' }),
    );
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('got:hi');
    const get = await fetchHandler(new Request('https://w.example/wecom/bot?echostr=a%2Fb'));
    expect(await get.text()).toBe('a/b');
    const other = await fetchHandler(new Request('https://w.example/other'));
    expect(other.status).toBe(404);
  });

  it('finds ctx.waitUntil in the 3rd argument (Workers: fetch(request, env, ctx)), bound to ctx', async () => {
    const { contexts, fetchHandler } = recordingHandler();
    const kept: unknown[] = [];
    const ctx = {
      passThroughOnException() {},
      waitUntil(this: unknown, promise: Promise<unknown>) {
        // Workers' waitUntil throws "Illegal invocation" when called unbound.
        if (this !== ctx) throw new TypeError('Illegal invocation');
        kept.push(promise);
      },
    };
    const env = { TOKEN: 'x' };
    const res = await fetchHandler(
      new Request('https://w/wecom/bot', { method: 'POST', body: 'b' }),
      env,
      ctx,
    );
    expect(res.status).toBe(200);
    expect(typeof contexts[0]!.waitUntil).toBe('function');
    expect(kept).toHaveLength(1);
    expect(await kept[0]).toBe('background');
  });

  it('finds waitUntil in the 2nd argument (Vercel/Next-style context)', async () => {
    const { contexts, fetchHandler } = recordingHandler();
    const kept: unknown[] = [];
    await fetchHandler(new Request('https://w/wecom/bot', { method: 'POST', body: 'b' }), {
      waitUntil: (p: Promise<unknown>) => kept.push(p),
    });
    expect(contexts[0]!.waitUntil).toBeTypeOf('function');
    expect(kept).toHaveLength(1);
  });

  it('no waitUntil anywhere (Bun server, Deno info, Next params, nothing): empty context', async () => {
    const { contexts, fetchHandler } = recordingHandler();
    const req = () => new Request('https://w/wecom/bot?echostr=e');
    await fetchHandler(req());
    await fetchHandler(req(), { remoteAddr: { hostname: '127.0.0.1' }, completed: Promise.resolve() });
    await fetchHandler(req(), { params: Promise.resolve({}) });
    await fetchHandler(req(), null, undefined, 42, 'str');
    await fetchHandler(req(), { waitUntil: 'not a function' });
    expect(contexts).toEqual([{}, {}, {}, {}, {}]);
  });

  it('never touches other properties: a throwing getter (Hono executionCtx) or a throwing proxy is safe', async () => {
    const { contexts, fetchHandler } = recordingHandler();
    let touched = 0;
    const honoLike = {
      get executionCtx(): never {
        touched++;
        throw new Error('This context has no ExecutionContext');
      },
    };
    const res = await fetchHandler(new Request('https://w/wecom/bot?echostr=e'), honoLike);
    expect(res.status).toBe(200);
    expect(touched).toBe(0);
    const throwingGetter = {
      get waitUntil(): never {
        throw new Error('nope');
      },
    };
    const hostileProxy = new Proxy(
      {},
      {
        has() {
          throw new Error('has trap');
        },
      },
    );
    const kept: unknown[] = [];
    const res2 = await fetchHandler(
      new Request('https://w/wecom/bot', { method: 'POST', body: 'x' }),
      throwingGetter,
      hostileProxy,
      {
        waitUntil: (p: Promise<unknown>) => kept.push(p),
      },
    );
    expect(res2.status).toBe(200);
    expect(kept).toHaveLength(1);
    expect(contexts[0]).toEqual({});
  });
});

describe('handleFetch with the Node request (incoming, as @hono/node-server gives it)', () => {
  const handler = createWebhookHandler({
    paths: ['/wecom/bot'],
    maxBodyBytes: 100,
    onGet: async () => textResponse(200, ''),
    onPost: async (request) => textResponse(200, `${request.headers.get('x-from')}:${request.body}`),
  });
  /** A server whose Web Request carries another body and header than the socket's. */
  const serve = (before?: (req: IncomingMessage) => void) =>
    listen(async (req: IncomingMessage, res: ServerResponse) => {
      before?.(req);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: 'POST',
        headers: { 'x-from': 'web' },
        body: 'web body',
      });
      const out = await handleFetch(handler, request, { incoming: req, outgoing: res });
      res.writeHead(out.status, Object.fromEntries(out.headers));
      res.end(await out.text());
    });
  const post = (origin: string, body: string) =>
    fetch(`${origin}/wecom/bot`, { method: 'POST', headers: { 'x-from': 'node' }, body });

  it('reads the headers and the body from the Node request while nobody has begun reading it', async () => {
    const running = await serve();
    try {
      const res = await post(running.origin, 'node body');
      expect(await res.text()).toBe('node:node body');
    } finally {
      await running.close();
    }
  });

  it('takes the Web Request once something reads the Node request', async () => {
    const chunks: Buffer[] = [];
    const running = await serve((req) => req.on('data', (c: Buffer) => chunks.push(c)));
    try {
      const res = await post(running.origin, 'node body');
      expect(await res.text()).toBe('web:web body');
      expect(Buffer.concat(chunks).toString()).toBe('node body');
    } finally {
      await running.close();
    }
  });

  it('over the cap: 413, answered after the rest is dropped, and the client reads it', async () => {
    const running = await serve();
    try {
      const res = await post(running.origin, 'x'.repeat(64 * 1024));
      expect(res.status).toBe(413);
      expect(await res.text()).toBe('body_too_large');
    } finally {
      await running.close();
    }
  });

  it('an absurd Content-Length: the 413 goes out at once and the client reads it (the rest is never sent)', async () => {
    const running = await serve();
    try {
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(running.port, '127.0.0.1');
        let received = '';
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
          if (received.includes('\r\n\r\n')) {
            socket.destroy();
            resolve(received.split('\r\n', 1)[0]!);
          }
        });
        socket.on('error', reject);
        socket.on('close', () => resolve(received.split('\r\n', 1)[0] || 'closed without an answer'));
        socket.write(
          'POST /wecom/bot HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100000000000\r\n\r\n{"encrypt":"',
        );
      });
      expect(head).toBe('HTTP/1.1 413 Payload Too Large');
    } finally {
      await running.close();
    }
  });
});
