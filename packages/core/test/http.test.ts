import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_API_BASE,
  failedBeforeSend,
  HttpClient,
  type HttpClientOptions,
  type Logger,
  WeComApiError,
  WeComConfigError,
  type WeComError,
  WeComHttpError,
  WeComNetworkError,
  WeComRequestError,
  WeComTimeoutError,
} from '../src/index.js';
import { closedPort, listen, type Running } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Responder = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Running;
let seen: Seen[];
let responders: Responder[];
/** What to do once the queue is empty. */
let fallback: Responder;

const json =
  (value: unknown, status = 200, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };

beforeAll(async () => {
  server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      (responders.shift() ?? fallback)(req, res, body);
    });
  });
});
afterAll(() => server.close());
beforeEach(() => {
  seen = [];
  responders = [];
  fallback = json({ errcode: 0, errmsg: 'ok' });
});

const TOKEN = 'ACCESS-TOKEN-abcdef-123456';

function client(options: HttpClientOptions = {}) {
  const sleeps: number[] = [];
  const http = new HttpClient({
    baseUrl: server.origin,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { http, sleeps };
}

/** Asserts that nothing in an error (message, path, causes) carries the access token. */
function expectNoToken(error: unknown) {
  let e: unknown = error;
  for (let depth = 0; e && depth < 6; depth++) {
    expect(String((e as Error).message)).not.toContain(TOKEN);
    expect(String((e as Error).stack ?? '')).not.toContain(TOKEN);
    expect(String((e as { path?: string }).path ?? '')).not.toContain(TOKEN);
    e = (e as { cause?: unknown }).cause;
  }
  expect(String(error)).not.toContain(TOKEN);
}

async function failure(promise: Promise<unknown>): Promise<WeComError> {
  try {
    await promise;
  } catch (error) {
    expectNoToken(error);
    return error as WeComError;
  }
  throw new Error('expected a rejection');
}

describe('HttpClient.call', () => {
  it('errcode 0 → the body; GET with query, POST with JSON', async () => {
    const { http } = client();
    fallback = json({ errcode: 0, errmsg: 'ok', access_token: 'x', expires_in: 7200 });
    const got = await http.call('/cgi-bin/gettoken', {
      query: { corpid: 'ww1', corpsecret: 'S', skip: undefined },
    });
    expect(got).toEqual({ errcode: 0, errmsg: 'ok', access_token: 'x', expires_in: 7200 });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/cgi-bin/gettoken?corpid=ww1&corpsecret=S' });
    fallback = json({ errcode: 0, errmsg: 'ok', msgid: 'm1' });
    const sent = await http.call('cgi-bin/message/send', {
      query: { access_token: TOKEN },
      json: { touser: 'u', msgtype: 'text', text: { content: '你好' } },
    });
    expect(sent.msgid).toBe('m1');
    expect(seen[1]!.method).toBe('POST');
    expect(seen[1]!.url).toBe(`/cgi-bin/message/send?access_token=${TOKEN}`);
    expect(seen[1]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[1]!.body)).toEqual({ touser: 'u', msgtype: 'text', text: { content: '你好' } });
    // A body without errcode is a success; a raw string body is sent as is.
    fallback = json({ hello: 'world' });
    expect(await http.call('/x', { body: 'raw', method: 'POST' })).toEqual({ hello: 'world' });
    expect(seen[2]!.body).toBe('raw');
  });

  it('errcode -1 and 6000 are retried up to `attempts`, then WeComApiError', async () => {
    const { http, sleeps } = client();
    fallback = json({ errcode: -1, errmsg: 'system busy' });
    const e = await failure(http.call('/busy', { query: { access_token: TOKEN } }));
    expect(e).toBeInstanceOf(WeComApiError);
    expect((e as WeComApiError).errcode).toBe(-1);
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([100, 400]);
    seen = [];
    fallback = json({ errcode: 6000, errmsg: 'data version conflict' });
    const e2 = await failure(client({ retry: { attempts: 5 } }).http.call('/conflict'));
    expect((e2 as WeComApiError).errcode).toBe(6000);
    expect(seen).toHaveLength(5);
  });

  it('a retried call that then succeeds returns the value', async () => {
    const { http } = client();
    responders = [json({ errcode: -1, errmsg: 'busy' }), json({ errcode: 6000, errmsg: 'conflict' })];
    fallback = json({ errcode: 0, errmsg: 'ok', n: 3 });
    expect((await http.call('/x', { json: {} })).n).toBe(3);
    expect(seen).toHaveLength(3);
  });

  it('HTTP 500/502/503/429 are retried; Retry-After is honoured', async () => {
    for (const status of [500, 502, 503, 429]) {
      seen = [];
      const { http, sleeps } = client();
      responders = [json({}, status, status === 429 ? { 'retry-after': '0' } : {})];
      fallback = json({ errcode: 0, errmsg: 'ok', status });
      expect((await http.call('/x', { json: {} })).status).toBe(status);
      expect(seen).toHaveLength(2);
      expect(sleeps).toEqual([status === 429 ? 0 : 100]);
    }
    seen = [];
    const { http, sleeps } = client();
    responders = [json({}, 429, { 'retry-after': '2' })];
    await http.call('/x', { json: {} });
    expect(sleeps).toEqual([2000]);
    seen = [];
    fallback = json({}, 503);
    const e = await failure(client().http.call('/x', { json: {}, query: { access_token: TOKEN } }));
    expect(e).toBeInstanceOf(WeComHttpError);
    expect((e as WeComHttpError).httpStatus).toBe(503);
    expect(seen).toHaveLength(3);
  });

  it('44004 and other payload errcodes are not retried (exactly one request)', async () => {
    const { http, sleeps } = client();
    fallback = json({ errcode: 44004, errmsg: 'empty content' });
    const e = await failure(http.call('/cgi-bin/webhook/send', { json: { msgtype: 'text' } }));
    expect(e).toBeInstanceOf(WeComApiError);
    expect((e as WeComApiError).errcode).toBe(44004);
    expect(e.message).toContain('44004');
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    // A 4xx status other than 429 is not retried either.
    seen = [];
    fallback = json({}, 404);
    expect(await failure(http.call('/missing'))).toBeInstanceOf(WeComHttpError);
    expect(seen).toHaveLength(1);
  });

  it('a 2xx that is not a JSON object is WeComHttpError, not retried, never a success', async () => {
    const { http } = client();
    for (const body of ['<html>gateway</html>', '', '[1,2]', 'null', '"success"']) {
      seen = [];
      fallback = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(body);
      };
      const e = await failure(http.call('/x', { json: {}, query: { access_token: TOKEN } }));
      expect(e).toBeInstanceOf(WeComHttpError);
      expect(e.message).toContain('not a JSON object');
      expect(seen).toHaveLength(1);
    }
  });

  it('the socket destroyed after the request was read: maybeDelivered, not resent unless idempotent', async () => {
    fallback = (req) => req.socket.destroy();
    const { http, sleeps } = client();
    const e = await failure(
      http.call('/cgi-bin/aibot/response', { json: { a: 1 }, query: { access_token: TOKEN } }),
    );
    expect(e).toBeInstanceOf(WeComNetworkError);
    expect((e as WeComNetworkError).maybeDelivered).toBe(true);
    expect(e.message).toContain('may have been delivered');
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    seen = [];
    const idem = client();
    const e2 = await failure(idem.http.call('/cgi-bin/gettoken', { idempotent: true }));
    expect(e2).toBeInstanceOf(WeComNetworkError);
    expect(seen).toHaveLength(3);
    expect(idem.sleeps).toEqual([100, 400]);
  });

  it('the socket destroyed mid-body (headers sent): maybeDelivered, not resent', async () => {
    fallback = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"errcode":');
      setTimeout(() => res.socket?.destroy(), 5);
    };
    const { http } = client();
    const e = await failure(http.call('/x', { json: {} }));
    expect(e).toBeInstanceOf(WeComNetworkError);
    expect((e as WeComNetworkError).maybeDelivered).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('connection refused: maybeDelivered false and retried; an injected fetch is used', async () => {
    const port = await closedPort();
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const http = new HttpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      fetch: counting,
      sleep: async () => {},
    });
    const e = await failure(http.call('/cgi-bin/message/send', { json: {}, query: { access_token: TOKEN } }));
    expect(e).toBeInstanceOf(WeComNetworkError);
    expect((e as WeComNetworkError).maybeDelivered).toBe(false);
    expect(calls).toBe(3);
  });

  it('an injected fetch receives the request and its answer is used', async () => {
    const requests: Request[] = [];
    const http = new HttpClient({
      fetch: async (input) => {
        requests.push(input as Request);
        return new Response(JSON.stringify({ errcode: 0, errmsg: 'ok', via: 'injected' }), {
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    expect((await http.call('/cgi-bin/x', { json: { a: 1 } })).via).toBe('injected');
    expect(requests[0]!.url).toBe(`${DEFAULT_API_BASE}/cgi-bin/x`);
    expect(requests[0]!.method).toBe('POST');
  });

  it('a server that never answers: WeComTimeoutError, not resent for a non-idempotent call', async () => {
    fallback = () => {}; // never answers
    const { http } = client({ timeoutMs: 50 });
    const e = await failure(http.call('/slow', { json: {}, query: { access_token: TOKEN } }));
    expect(e).toBeInstanceOf(WeComTimeoutError);
    expect(e.code).toBe('timeout');
    expect((e as WeComTimeoutError).maybeDelivered).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('a body that stalls after the headers is a timeout too (the timer covers the body)', async () => {
    fallback = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"errcode":');
    };
    const { http } = client();
    const e = await failure(http.call('/stall', { timeoutMs: 50 }));
    expect(e).toBeInstanceOf(WeComTimeoutError);
    expect(seen).toHaveLength(1);
  });

  it('passErrcodes hands listed errcodes back instead of throwing', async () => {
    const { http } = client();
    fallback = json({ errcode: 42001, errmsg: 'access_token expired' });
    const result = await http.call('/x', { passErrcodes: [40014, 42001] });
    expect(result.errcode).toBe(42001);
    expect(seen).toHaveLength(1);
    await expect(http.call('/x', { passErrcodes: [40014] })).rejects.toBeInstanceOf(WeComApiError);
  });

  it('maxTotalMs caps the whole call: no wait that would pass the cap', async () => {
    fallback = json({ errcode: -1, errmsg: 'busy' });
    const { http, sleeps } = client({
      retry: { attempts: 10, maxTotalMs: 1000, backoff: { baseMs: 300, factor: 2 } },
    });
    await failure(http.call('/x'));
    // 300 fits; 300 + 600 fits; 300 + 600 + 1200 would not (the waits are not really slept here).
    expect(sleeps).toEqual([300, 600]);
    expect(seen).toHaveLength(3);
    seen = [];
    const { http: http2, sleeps: sleeps2 } = client({ retry: { maxTotalMs: 50 } });
    responders = [json({}, 429, { 'retry-after': '1' })];
    await failure(http2.call('/x'));
    expect(sleeps2).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it('maxTotalMs also ends an attempt still under way (a timeout, not resent)', async () => {
    fallback = () => {}; // never answers
    const { http, sleeps } = client({ timeoutMs: 10_000, retry: { maxTotalMs: 80 } });
    const e = await failure(http.call('/slow', { idempotent: true, query: { access_token: TOKEN } }));
    expect(e).toBeInstanceOf(WeComTimeoutError);
    expect((e as WeComTimeoutError).maybeDelivered).toBe(true);
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('backoff grows by the factor, capped by maxMs, within the jitter bounds', async () => {
    fallback = json({ errcode: -1, errmsg: 'busy' });
    const retry = { attempts: 5 };
    const low = client({ random: () => 0, retry });
    await failure(low.http.call('/x'));
    expect(low.sleeps).toEqual([80, 320, 1280, 4000]); // -20 %
    const high = client({ random: () => 0.999999, retry });
    await failure(high.http.call('/x'));
    const expected = [120, 480, 1920, 6000];
    high.sleeps.forEach((ms, i) => {
      expect(ms).toBeLessThanOrEqual(expected[i]!);
      expect(ms).toBeGreaterThan(expected[i]! * 0.99);
    });
    const mid = client({
      retry: { attempts: 5, backoff: { baseMs: 1000, factor: 10, maxMs: 3000, jitter: 0 } },
    });
    await failure(mid.http.call('/x'));
    expect(mid.sleeps).toEqual([1000, 3000, 3000, 3000]);
    // Random jitter always within ±20 % of the nominal delay.
    const rand = client({ random: Math.random, retry: { attempts: 4 } });
    for (let i = 0; i < 5; i++) await failure(rand.http.call('/x'));
    rand.sleeps.forEach((ms, i) => {
      const nominal = [100, 400, 1600][i % 3]!;
      expect(ms).toBeGreaterThanOrEqual(nominal * 0.8);
      expect(ms).toBeLessThanOrEqual(nominal * 1.2);
    });
  });

  it('a per-call retry policy overrides the client one, backoff merged key by key', async () => {
    fallback = json({ errcode: -1, errmsg: 'busy' });
    const { http, sleeps } = client({ retry: { backoff: { baseMs: 10, jitter: 0 } } });
    await failure(http.call('/x', { retry: { attempts: 2, backoff: { factor: 3 } } }));
    expect(sleeps).toEqual([10]);
    expect(seen).toHaveLength(2);
    seen = [];
    await failure(http.call('/x', { retry: { attempts: 3, retryErrcodes: [] } }));
    expect(seen).toHaveLength(1);
  });

  it("the caller's abort signal stops the call and is never retried", async () => {
    const controller = new AbortController();
    fallback = () => {
      controller.abort();
    };
    const { http } = client();
    const e = await failure(http.call('/x', { signal: controller.signal, idempotent: true }));
    expect(e).toBeInstanceOf(WeComNetworkError);
    expect(seen).toHaveLength(1);
    seen = [];
    const e2 = await failure(http.call('/x', { signal: AbortSignal.abort() }));
    expect(e2).toBeInstanceOf(WeComNetworkError);
    expect((e2 as WeComNetworkError).maybeDelivered).toBe(false);
    expect(seen).toHaveLength(0);
  });

  it('logs each retry at debug without the token', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
      info() {},
      warn() {},
      error() {},
    };
    responders = [json({ errcode: -1, errmsg: 'busy' })];
    await client({ logger }).http.call('/x', { query: { access_token: TOKEN } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"attempt":1');
    expect(lines[0]).not.toContain(TOKEN);
  });
});

describe('HttpClient configuration', () => {
  it('validates baseUrl and other options eagerly', () => {
    for (const baseUrl of ['not a url', 'ftp://host', 'https://h/?q=1', 'https://h/#f', 'https://u:p@h/']) {
      expect(() => new HttpClient({ baseUrl })).toThrow(WeComConfigError);
    }
    expect(() => new HttpClient({ timeoutMs: 0 })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { attempts: 0 } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { attempts: 21 } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { maxTotalMs: -1 } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { backoff: { jitter: 2 } } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { backoff: { factor: 0.5 } } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { backoff: { baseMs: -1 } } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ retry: { retryErrcodes: ['x' as never] } })).toThrow(WeComConfigError);
    expect(() => new HttpClient({ fetch: 'fetch' as never })).toThrow(WeComConfigError);
  });

  it('joins paths onto the base URL (private deployments with a path prefix too)', () => {
    expect(new HttpClient().baseUrl).toBe('https://qyapi.weixin.qq.com');
    const http = new HttpClient({ baseUrl: 'https://wecom.corp.example/proxy/' });
    expect(http.baseUrl).toBe('https://wecom.corp.example/proxy');
    expect(http.url('/cgi-bin/gettoken').toString()).toBe(
      'https://wecom.corp.example/proxy/cgi-bin/gettoken',
    );
    expect(http.url('cgi-bin/gettoken', { a: 1, b: undefined }).toString()).toBe(
      'https://wecom.corp.example/proxy/cgi-bin/gettoken?a=1',
    );
    expect(http.url('https://other.example/x?y=1').toString()).toBe('https://other.example/x?y=1');
  });

  it('registers access_token values from queries, so they are redacted anywhere later', async () => {
    const { http } = client();
    fallback = json({ errcode: 40014, errmsg: 'invalid access_token ANOTHER-TOKEN-777 (hint)' });
    const e = await failure(http.call('/x', { query: { access_token: 'ANOTHER-TOKEN-777' } }));
    expect((e as WeComApiError).errmsg).toBe('invalid access_token [redacted] (hint)');
  });

  it('failedBeforeSend reads codes through causes and aggregate errors', () => {
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    expect(failedBeforeSend(new TypeError('fetch failed', { cause: refused }))).toBe(true);
    const reset = Object.assign(new Error('x'), { code: 'ECONNRESET' });
    expect(failedBeforeSend(new TypeError('fetch failed', { cause: reset }))).toBe(false);
    expect(failedBeforeSend(new AggregateError([refused, refused]))).toBe(true);
    expect(failedBeforeSend(new AggregateError([refused, reset]))).toBe(false);
    expect(failedBeforeSend(undefined)).toBe(false);
  });
});

describe('HttpClient.download', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const allowHttp = { protocols: ['http:'] } as const;

  it('downloads bytes with the content type, parameters stripped', async () => {
    fallback = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'Image/PNG; charset=binary',
        'content-length': String(png.length),
      });
      res.end(png);
    };
    const { http } = client();
    const got = await http.download(`${server.origin}/media/1.png?sign=abc`, {
      maxBytes: 1024,
      ...allowHttp,
    });
    expect(Buffer.from(got.bytes)).toEqual(png);
    expect(got.contentType).toBe('image/png');
    expect(got.headers.get('content-length')).toBe(String(png.length));
    fallback = (_req, res) => res.end();
    const empty = await http.download(`${server.origin}/empty`, { maxBytes: 10, ...allowHttp });
    expect(empty.bytes.byteLength).toBe(0);
    expect(empty.contentType).toBe('');
  });

  it('https only by default: an http URL is refused without a request', async () => {
    const { http } = client();
    const e = await failure(http.download(`${server.origin}/media`, { maxBytes: 10 }));
    expect(e).toBeInstanceOf(WeComRequestError);
    expect(e.code).toBe('forbidden');
    await expect(http.download('file:///etc/passwd', { maxBytes: 10 })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(http.download('not a url', { maxBytes: 10 })).rejects.toMatchObject({ code: 'bad_request' });
    expect(seen).toHaveLength(0);
  });

  it('a hosts allowlist (exact or .suffix) refuses other hosts', async () => {
    const { http } = client();
    await expect(
      http.download(`${server.origin}/m`, {
        maxBytes: 10,
        ...allowHttp,
        hosts: ['.weixin.qq.com', 'localhost'],
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(seen).toHaveLength(0);
    fallback = (_req, res) => res.end('ok');
    const got = await http.download(`${server.origin}/m`, {
      maxBytes: 10,
      ...allowHttp,
      hosts: ['127.0.0.1'],
    });
    expect(Buffer.from(got.bytes).toString()).toBe('ok');
    const suffix = new HttpClient({ fetch: async () => new Response('s') });
    const s = await suffix.download('https://wework.qpic.cn/x', { maxBytes: 10, hosts: ['.QPIC.cn'] });
    expect(Buffer.from(s.bytes).toString()).toBe('s');
    await expect(
      suffix.download('https://evilqpic.cn/x', { maxBytes: 10, hosts: ['.qpic.cn'] }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('a Content-Length over the cap is refused without reading the body', async () => {
    fallback = (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write(Buffer.alloc(16)); // and then nothing: reading would end in a timeout instead
    };
    const { http } = client();
    const e = await failure(
      http.download(`${server.origin}/big`, { maxBytes: 1024, timeoutMs: 5000, ...allowHttp }),
    );
    expect(e).toBeInstanceOf(WeComRequestError);
    expect(e.code).toBe('body_too_large');
    expect(e.status).toBe(413);
  });

  it('a chunked body over the cap is aborted while streaming', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((r) => {
      closed = r;
    });
    let written = 0;
    fallback = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => {
        written += 1024;
        res.write(Buffer.alloc(1024));
      }, 1);
      res.on('close', () => {
        clearInterval(timer);
        closed();
      });
    };
    const { http } = client();
    const e = await failure(
      http.download(`${server.origin}/stream`, { maxBytes: 4096, timeoutMs: 5000, ...allowHttp }),
    );
    expect(e.code).toBe('body_too_large');
    await serverSawClose;
    expect(written).toBeGreaterThan(4096);
  });

  it('non-2xx is WeComHttpError; a stalled download times out', async () => {
    fallback = (_req, res) => {
      res.writeHead(404);
      res.end('gone');
    };
    const { http } = client();
    const e = await failure(
      http.download(`${server.origin}/missing?token=abc`, { maxBytes: 10, ...allowHttp }),
    );
    expect(e).toBeInstanceOf(WeComHttpError);
    expect((e as WeComHttpError).httpStatus).toBe(404);
    expect(e.message).toBe('HTTP 404 from /missing');
    fallback = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    };
    const t = await failure(
      http.download(`${server.origin}/stall`, { maxBytes: 1000, timeoutMs: 50, ...allowHttp }),
    );
    expect(t).toBeInstanceOf(WeComTimeoutError);
  });

  it('follows redirects only to allowed targets', async () => {
    const { http } = client();
    responders = [
      (_req, res) => {
        res.writeHead(302, { location: '/final' });
        res.end();
      },
    ];
    fallback = (_req, res) => res.end('final');
    const got = await http.download(`${server.origin}/start`, { maxBytes: 100, ...allowHttp });
    expect(Buffer.from(got.bytes).toString()).toBe('final');
    expect(seen.map((s) => s.url)).toEqual(['/start', '/final']);
    // A redirect to a host off the allowlist (e.g. a metadata endpoint) is refused.
    seen = [];
    responders = [
      (_req, res) => {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
        res.end();
      },
    ];
    await expect(
      http.download(`${server.origin}/start`, { maxBytes: 100, ...allowHttp, hosts: ['127.0.0.1'] }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    // An https URL redirected to http is refused under the https-only default.
    const https = new HttpClient({
      fetch: async () => new Response(null, { status: 301, headers: { location: 'http://cdn.example/x' } }),
    });
    await expect(https.download('https://cdn.example/x', { maxBytes: 10 })).rejects.toMatchObject({
      code: 'forbidden',
    });
    // Too many hops.
    fallback = (_req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    };
    await expect(
      http.download(`${server.origin}/loop`, { maxBytes: 10, ...allowHttp }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('validates maxBytes', async () => {
    const { http } = client();
    await expect(http.download('https://x/y', {} as never)).rejects.toBeInstanceOf(WeComConfigError);
  });
});
