import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  emptyResponse,
  errorResponse,
  handleFetch,
  healthResponse,
  type InboundRequest,
  jsonResponse,
  type Logger,
  REFUSAL_LOG_INTERVAL_MS,
  type ReceiveContext,
  readBodyLimited,
  redact,
  registerSecret,
  requireParam,
  textResponse,
  toFetchResponse,
  type WebhookSpec,
  WeComApiError,
  WeComConfigError,
  WeComCryptoError,
  WeComError,
  WeComRequestError,
  xmlResponse,
} from '../src/index.js';

type Seen = { request: InboundRequest; context: ReceiveContext };

function echoSpec(overrides: Partial<WebhookSpec> = {}) {
  const seen: Seen[] = [];
  const spec: WebhookSpec = {
    paths: ['/wecom/bot'],
    maxBodyBytes: 64,
    async onGet(request, context) {
      seen.push({ request, context });
      return textResponse(200, requireParam(request.query, 'echostr'));
    },
    async onPost(request, context) {
      seen.push({ request, context });
      return textResponse(200, `got:${request.body}`);
    },
    ...overrides,
  };
  return { seen, spec, handler: createWebhookHandler(spec) };
}

function recordingLogger() {
  const records: Array<[string, string, unknown]> = [];
  const at =
    (level: string) =>
    (message: string, fields?: unknown): void => {
      records.push([level, message, fields]);
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { records, logger };
}

/** A body stream that counts how many chunks were pulled and whether it was cancelled. */
function countingStream(chunk: Uint8Array, limit = Number.POSITIVE_INFINITY) {
  const state = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      if (state.pulls > limit) controller.close();
      else controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { state, stream };
}

/** Drain bounds small enough to reach in a test: 100 bytes, 200 ms. */
const SMALL_DRAIN = { drain: { maxBytes: 100, timeoutMs: 200 } };

/** Waits (bounded) until the stream was cancelled: the drain after a refusal ended. */
async function untilCancelled(state: { cancelled: boolean }): Promise<void> {
  for (let i = 0; i < 200 && !state.cancelled; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('createWebhookHandler: receive()', () => {
  it('GET and POST reach their callbacks with the parsed request and the context', async () => {
    const { handler, seen } = echoSpec();
    const waitUntil = () => {};
    const get = await handler.receive({ method: 'get', url: '/wecom/bot?echostr=hello&a=1' }, { waitUntil });
    expect(get).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'hello',
    });
    expect(seen[0]!.request.method).toBe('GET');
    expect(seen[0]!.request.pathname).toBe('/wecom/bot');
    expect(seen[0]!.request.query.get('a')).toBe('1');
    expect(seen[0]!.context.waitUntil).toBe(waitUntil);
    const post = await handler.receive({
      method: 'POST',
      url: 'https://example.com/wecom/bot?x=1',
      headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'], 'x-none': undefined },
      body: new TextEncoder().encode('{"encrypt":"中"}'),
    });
    expect(post.body).toBe('got:{"encrypt":"中"}');
    const inbound = seen[1]!.request;
    expect(inbound.headers.get('content-type')).toBe('application/json');
    expect(inbound.headers.get('x-multi')).toBe('a, b');
    expect(inbound.headers.has('x-none')).toBe(false);
    expect(seen[1]!.context).toEqual({});
    // A Headers object passes through; a null body is an empty one.
    await handler.receive({
      method: 'POST',
      url: '/wecom/bot',
      headers: new Headers({ a: 'b' }),
      body: null,
    });
    expect(seen[2]!.request.headers.get('a')).toBe('b');
    expect(seen[2]!.request.body).toBe('');
  });

  it('matches a list of paths (trailing slash tolerated), a function, or every path', async () => {
    const list = echoSpec({ paths: ['/a', '/b'] }).handler;
    expect(list.matches('/a')).toBe(true);
    expect(list.matches('/b/')).toBe(true);
    expect(list.matches('/c')).toBe(false);
    expect((await list.receive({ method: 'POST', url: '/b', body: 'x' })).status).toBe(200);
    expect((await list.receive({ method: 'POST', url: '/a//', body: 'x' })).status).toBe(200);
    const root = echoSpec({ paths: ['/'] }).handler;
    expect(root.matches('/')).toBe(true);
    expect(root.matches('//')).toBe(true);
    const fn = echoSpec({ paths: (p) => p.startsWith('/wecom/callback/') }).handler;
    expect(fn.matches('/wecom/callback/app1')).toBe(true);
    expect((await fn.receive({ method: 'POST', url: '/wecom/callback/app1', body: 'x' })).status).toBe(200);
    expect((await fn.receive({ method: 'POST', url: '/wecom/callback', body: 'x' })).status).toBe(404);
    const any = echoSpec({ paths: undefined }).handler;
    expect(any.matches('/anything/at/all')).toBe(true);
    expect((await any.receive({ method: 'POST', url: '/x/y', body: 'x' })).status).toBe(200);
  });

  it('answers 404 for other paths, without calling back', async () => {
    const { handler, seen } = echoSpec();
    const out = await handler.receive({ method: 'POST', url: '/other?x=1', body: 'x' });
    expect(out).toEqual({
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'not_found',
    });
    // A protocol-relative path stays a path (not a host).
    expect((await handler.receive({ method: 'POST', url: '//wecom/bot', body: 'x' })).status).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it('answers 405 with an Allow header for other methods', async () => {
    const { handler, seen } = echoSpec();
    for (const method of ['PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']) {
      const out = await handler.receive({ method, url: '/wecom/bot', body: 'x' });
      expect(out.status).toBe(405);
      expect(out.headers.allow).toBe('GET, POST');
      expect(out.body).toBe('method_not_allowed');
    }
    expect(seen).toHaveLength(0);
  });

  it('answers 413 for a body over the cap, measured in bytes for strings and byte arrays', async () => {
    const { handler, seen } = echoSpec({ maxBodyBytes: 64 });
    expect((await handler.receive({ method: 'POST', url: '/wecom/bot', body: 'a'.repeat(64) })).status).toBe(
      200,
    );
    const tooLong = await handler.receive({ method: 'POST', url: '/wecom/bot', body: 'a'.repeat(65) });
    expect(tooLong.status).toBe(413);
    expect(tooLong.body).toBe('body_too_large');
    expect(tooLong.headers.connection).toBe('close');
    // 22 CJK characters are 66 bytes: over the cap although only 22 UTF-16 units.
    expect((await handler.receive({ method: 'POST', url: '/wecom/bot', body: '中'.repeat(22) })).status).toBe(
      413,
    );
    expect(
      (await handler.receive({ method: 'POST', url: '/wecom/bot', body: new Uint8Array(65) })).status,
    ).toBe(413);
    expect(seen).toHaveLength(1);
  });

  it('maps errors to statuses: WeComError status and code, anything else 500 internal_error', async () => {
    const { records, logger } = recordingLogger();
    registerSecret('super-secret-token');
    let toThrow: unknown;
    const { handler } = echoSpec({
      logger,
      async onPost() {
        throw toThrow;
      },
    });
    const send = () => handler.receive({ method: 'POST', url: '/wecom/bot?access_token=AT1', body: 'x' });
    toThrow = new WeComCryptoError('signature_mismatch', 'bad signature');
    expect(await send()).toMatchObject({ status: 401, body: 'signature_mismatch' });
    toThrow = new WeComCryptoError('decrypt_failed', 'x');
    expect(await send()).toMatchObject({ status: 400, body: 'decrypt_failed' });
    toThrow = new WeComRequestError('missing_parameter', 'missing nonce');
    expect(await send()).toMatchObject({ status: 400, body: 'missing_parameter' });
    toThrow = new WeComApiError(-1, 'busy', '/x');
    expect(await send()).toMatchObject({ status: 502, body: 'api_error' });
    toThrow = new Error('db password is super-secret-token at https://h/x?access_token=AT2');
    const internal = await send();
    expect(internal).toEqual({
      status: 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'internal_error',
    });
    toThrow = 'a string';
    expect(await send()).toMatchObject({ status: 500, body: 'internal_error' });
    // A WeComError with a status Response would refuse (or a 2xx) is a plain 500.
    toThrow = new WeComError('odd', 'x', { status: 200 });
    expect(await send()).toMatchObject({ status: 500, body: 'internal_error' });
    toThrow = new WeComError('odd', 'x', { status: 1000 });
    expect(await send()).toMatchObject({ status: 500, body: 'internal_error' });
    // 5xx are logged as errors, redacted; refused callbacks (signature, decryption) at warn; other 4xx at debug.
    const errors = records.filter(([level]) => level === 'error');
    const logged = JSON.stringify(errors);
    expect(logged).toContain('db password is [redacted]');
    expect(logged).not.toContain('super-secret-token');
    expect(logged).not.toContain('AT2');
    expect(
      records.filter(([level]) => level === 'debug').map(([, , f]) => (f as { status: number }).status),
    ).toEqual([400]);
    expect(
      records
        .filter(([level]) => level === 'warn')
        .map(([, m, f]) => `${m}: ${(f as { code: string }).code}`),
    ).toEqual(['callback refused: signature_mismatch', 'callback refused: decrypt_failed']);
  });

  it('a flood of refused signatures logs one warn line per code per interval, counting the rest', async () => {
    const { records, logger } = recordingLogger();
    let clock = 1_000_000;
    const { handler } = echoSpec({
      logger,
      now: () => clock,
      async onPost() {
        throw new WeComCryptoError('signature_mismatch', 'bad signature');
      },
    });
    const send = () => handler.receive({ method: 'POST', url: '/wecom/bot', body: 'x' });
    for (let i = 0; i < 1000; i++) expect((await send()).status).toBe(401);
    expect(records.filter(([level]) => level === 'warn')).toHaveLength(1);
    clock += REFUSAL_LOG_INTERVAL_MS;
    await send();
    const warns = records.filter(([level]) => level === 'warn');
    expect(warns).toHaveLength(2);
    expect(warns[1]![2]).toMatchObject({ code: 'signature_mismatch', suppressed: 999 });
    expect(JSON.stringify(records)).not.toContain('bad signature');
  });

  it('answers 400 for a malformed URL', async () => {
    const { handler } = echoSpec({ paths: undefined });
    expect((await handler.receive({ method: 'GET', url: 'http://[::1' })).status).toBe(400);
  });

  it('refuses work beyond maxConcurrent with 503, and frees the slot afterwards', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { handler } = echoSpec({
      maxConcurrent: 2,
      async onPost(request) {
        await gate;
        return textResponse(200, request.body);
      },
    });
    const first = handler.receive({ method: 'POST', url: '/wecom/bot', body: '1' });
    const second = handler.receive({ method: 'POST', url: '/wecom/bot', body: '2' });
    const third = await handler.receive({ method: 'POST', url: '/wecom/bot', body: '3' });
    expect(third).toMatchObject({ status: 503, body: 'overloaded' });
    release();
    expect((await first).body).toBe('1');
    expect((await second).body).toBe('2');
    expect((await handler.receive({ method: 'POST', url: '/wecom/bot', body: '4' })).body).toBe('4');
    // A failing callback frees its slot too.
    const failing = echoSpec({
      maxConcurrent: 1,
      async onPost() {
        throw new Error('x');
      },
    }).handler;
    expect((await failing.receive({ method: 'POST', url: '/wecom/bot', body: '' })).status).toBe(500);
    expect((await failing.receive({ method: 'POST', url: '/wecom/bot', body: '' })).status).toBe(500);
  });

  it('close() calls onClose once with the timeout and refuses new work with 503', async () => {
    const calls: number[] = [];
    const { handler } = echoSpec({
      async onClose(timeoutMs) {
        calls.push(timeoutMs);
      },
    });
    expect((await handler.receive({ method: 'GET', url: '/wecom/bot?echostr=a' })).status).toBe(200);
    const closing = handler.close({ timeoutMs: 1234 });
    // Refused at once, before onClose has finished.
    expect(await handler.receive({ method: 'GET', url: '/wecom/bot?echostr=a' })).toMatchObject({
      status: 503,
      body: 'overloaded',
    });
    await closing;
    await handler.close();
    expect(calls).toEqual([1234]);
    const res = await handleFetch(handler, new Request('http://h/wecom/bot?echostr=a'));
    expect(res.status).toBe(503);
    // Without onClose, close() resolves; default timeout is 10 s.
    const plain = echoSpec();
    await expect(plain.handler.close()).resolves.toBeUndefined();
    const seenTimeout: number[] = [];
    await echoSpec({ onClose: async (ms) => void seenTimeout.push(ms) }).handler.close();
    expect(seenTimeout).toEqual([10_000]);
  });

  it('decodes the query exactly once; %2B is "+", a literal "+" stays "+"', async () => {
    const { handler, seen } = echoSpec();
    // Tencent's sample request: echostr URL-encoded (+ → %2B, / → %2F, = → %3D).
    const encoded =
      'P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D';
    const out = await handler.receive({ method: 'GET', url: `/wecom/bot?echostr=${encoded}` });
    expect(out.body).toBe(
      'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
    );
    // Once, not twice: %252B is the text "%2B".
    expect((await handler.receive({ method: 'GET', url: '/wecom/bot?echostr=a%252Bb' })).body).toBe('a%2Bb');
    // An unencoded "+" (a proxy that did not encode) is kept, never turned into a space.
    expect((await handler.receive({ method: 'GET', url: '/wecom/bot?echostr=a+b' })).body).toBe('a+b');
    // %20 is a space.
    expect((await handler.receive({ method: 'GET', url: '/wecom/bot?echostr=a%20b' })).body).toBe('a b');
    expect(seen.map((s) => s.request.query.get('echostr'))).toEqual([
      'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
      'a%2Bb',
      'a+b',
      'a b',
    ]);
    const missing = await handler.receive({ method: 'GET', url: '/wecom/bot?echostr=' });
    expect(missing).toMatchObject({ status: 400, body: 'missing_parameter' });
  });

  it('validates the spec at construction', () => {
    const base = echoSpec().spec;
    expect(() => createWebhookHandler({ ...base, maxBodyBytes: 0 })).toThrow(WeComConfigError);
    expect(() => createWebhookHandler({ ...base, maxBodyBytes: Number.NaN })).toThrow(WeComConfigError);
    expect(() => createWebhookHandler({ ...base, maxConcurrent: 0 })).toThrow(WeComConfigError);
    expect(() => createWebhookHandler({ ...base, paths: '/wecom/bot' as never })).toThrow(WeComConfigError);
    expect(createWebhookHandler(base).maxBodyBytes).toBe(64);
  });
});

describe('createWebhookHandler: handle()', () => {
  it('Request in, Response out, with the context passed on', async () => {
    const { handler, seen } = echoSpec();
    const waitUntil = () => {};
    const res = await handleFetch(
      handler,
      new Request('https://bot.example.com/wecom/bot?x=1', { method: 'POST', body: 'hello' }),
      { context: { waitUntil } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('got:hello');
    expect(seen[0]!.context.waitUntil).toBe(waitUntil);
    const get = await handleFetch(handler, new Request('https://bot.example.com/wecom/bot?echostr=e'));
    expect(await get.text()).toBe('e');
  });

  it('404 and 405: the body is dropped to a bound before the answer, then cancelled', async () => {
    const { handler } = echoSpec();
    const a = countingStream(new Uint8Array(10));
    const notFound = await handleFetch(
      handler,
      new Request('http://h/elsewhere', { method: 'POST', body: a.stream, duplex: 'half' } as RequestInit),
      SMALL_DRAIN,
    );
    expect(notFound.status).toBe(404);
    const b = countingStream(new Uint8Array(10));
    const put = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'PUT', body: b.stream, duplex: 'half' } as RequestInit),
      SMALL_DRAIN,
    );
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    // Endless bodies: read and dropped (never buffered) only up to the drain's 100 bytes, then
    // cancelled, so neither the connection nor the stream is held for ever.
    expect([a.state.cancelled, b.state.cancelled]).toEqual([true, true]);
    expect(a.state.pulls).toBeLessThanOrEqual(13);
    expect(b.state.pulls).toBeLessThanOrEqual(13);
  });

  it('413 for a Content-Length over the cap: nothing kept, the body dropped to a bound before the answer', async () => {
    const { handler, seen } = echoSpec({ maxBodyBytes: 64 });
    const { state, stream } = countingStream(new Uint8Array(10));
    const res = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', {
        method: 'POST',
        body: stream,
        duplex: 'half',
        headers: { 'content-length': '1000' },
      } as RequestInit),
      SMALL_DRAIN,
    );
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('body_too_large');
    expect(res.headers.get('connection')).toBe('close');
    expect(seen).toHaveLength(0);
    // An endless body: read and dropped only to the drain's 100 bytes before the answer, then
    // cancelled (a finite one is read to its end: the next test).
    expect(state.cancelled).toBe(true);
    expect(state.pulls).toBeLessThanOrEqual(13);
    // A body that ends is dropped to its end before the 413, nothing cancelled: the client has
    // sent it all when the connection closes, so it reads its answer, not a reset.
    const finite = countingStream(new Uint8Array(10), 50);
    const res2 = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', {
        method: 'POST',
        body: finite.stream,
        duplex: 'half',
        headers: { 'content-length': '500' },
      } as RequestInit),
      { drain: { maxBytes: 1000, timeoutMs: 1000 } },
    );
    expect(res2.status).toBe(413);
    expect(finite.state.pulls).toBe(51);
    expect(finite.state.cancelled).toBe(false);
  });

  it('413 for a chunked stream over the cap without Content-Length: reading stops, the rest drained to a bound', async () => {
    const { handler, seen } = echoSpec({ maxBodyBytes: 64 });
    const { state, stream } = countingStream(new Uint8Array(10)); // endless
    const res = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
      SMALL_DRAIN,
    );
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(seen).toHaveLength(0);
    // 64 bytes read for the cap, at most 100 more dropped, then cancelled: bounded, however long.
    expect(state.cancelled).toBe(true);
    expect(state.pulls).toBeLessThanOrEqual(7 + 13);
    const pulled = state.pulls;
    await new Promise((r) => setTimeout(r, 20));
    expect(state.pulls).toBe(pulled);
    // A stream that ends under the cap is read whole, in several chunks.
    const ok = countingStream(new TextEncoder().encode('ab'), 3);
    const res2 = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'POST', body: ok.stream, duplex: 'half' } as RequestInit),
    );
    expect(await res2.text()).toBe('got:ababab');
    expect(ok.state.cancelled).toBe(false);
  });

  it('408 for a body that stalls past bodyTimeoutMs: answered at once, the stream cancelled after the drain time', async () => {
    const { handler, seen } = echoSpec({ bodyTimeoutMs: 50 });
    const state = { pulls: 0, cancelled: false };
    const stalled = new ReadableStream<Uint8Array>({
      pull(controller) {
        state.pulls++;
        // One chunk, then never another (and never the end).
        if (state.pulls === 1) controller.enqueue(new Uint8Array(4));
        return new Promise<void>(() => {});
      },
      cancel() {
        state.cancelled = true;
      },
    });
    const res = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'POST', body: stalled, duplex: 'half' } as RequestInit),
      SMALL_DRAIN,
    );
    expect(res.status).toBe(408);
    expect(await res.text()).toBe('request_timeout');
    expect(res.headers.get('connection')).toBe('close');
    // Not cancelled with the answer (the client must read it first), but once the drain time is up.
    expect(state.cancelled).toBe(false);
    await untilCancelled(state);
    expect(state.cancelled).toBe(true);
    expect(state.pulls).toBeLessThanOrEqual(2);
    expect(seen).toHaveLength(0);
  });

  it('a failing body stream is a 400, a used body a clear 500', async () => {
    const { handler } = echoSpec();
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('client went away'));
      },
    });
    const res = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'POST', body: broken, duplex: 'half' } as RequestInit),
    );
    expect(res.status).toBe(400);
    const used = new Request('http://h/wecom/bot', { method: 'POST', body: 'x' });
    await used.text();
    const res2 = await handleFetch(handler, used);
    expect(res2.status).toBe(500);
    expect(await res2.text()).toBe('body_already_parsed');
  });

  it('503 in handle() beyond maxConcurrent, counted while the body is still arriving', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { handler } = echoSpec({ maxConcurrent: 1 });
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await gate;
        controller.enqueue(new TextEncoder().encode('slow'));
        controller.close();
      },
    });
    const first = handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'POST', body: slow, duplex: 'half' } as RequestInit),
    );
    await new Promise((r) => setTimeout(r, 0));
    const second = await handleFetch(
      handler,
      new Request('http://h/wecom/bot', { method: 'POST', body: 'x' }),
    );
    expect(second.status).toBe(503);
    release();
    expect(await (await first).text()).toBe('got:slow');
  });
});

describe('response helpers', () => {
  it('build the usual answers', async () => {
    expect(jsonResponse(200, { a: 1 }, { 'x-y': 'z' })).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-y': 'z' },
      body: '{"a":1}',
    });
    expect(xmlResponse(200, '<xml/>')).toEqual({
      status: 200,
      headers: { 'content-type': 'application/xml; charset=utf-8' },
      body: '<xml/>',
    });
    expect(emptyResponse()).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: '',
    });
    expect(JSON.parse(healthResponse({ platform: 'wecom' }).body)).toEqual({
      status: 'ok',
      platform: 'wecom',
    });
    expect(errorResponse(new WeComRequestError('bad_request', 'x', { status: 408 })).headers.connection).toBe(
      'close',
    );
    const noContent = toFetchResponse({ status: 204, headers: {}, body: 'ignored' });
    expect(noContent.status).toBe(204);
    expect(await noContent.text()).toBe('');
    expect(toFetchResponse({ status: 205, headers: {}, body: 'ignored' }).status).toBe(205);
    // A status or header Response refuses becomes a bare 500 rather than a throw.
    for (const bad of [
      { status: 99, headers: {}, body: 'x' },
      { status: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' },
    ]) {
      const res = toFetchResponse(bad);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('internal_error');
    }
    expect(() => requireParam(new URLSearchParams('a=1'), 'b')).toThrow(WeComRequestError);
    expect(requireParam(new URLSearchParams('a=1'), 'a')).toBe('1');
    expect(redact('x')).toBe('x');
  });

  it('readBodyLimited reads a body up to the cap', async () => {
    expect(
      new TextDecoder().decode(
        await readBodyLimited(new Request('http://h/', { method: 'POST', body: 'abc' }), 3),
      ),
    ).toBe('abc');
    expect((await readBodyLimited(new Request('http://h/'), 3)).byteLength).toBe(0);
    await expect(
      readBodyLimited(new Request('http://h/', { method: 'POST', body: 'abcd' }), 3),
    ).rejects.toMatchObject({ code: 'body_too_large', status: 413 });
  });
});
