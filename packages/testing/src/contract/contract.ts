/**
 * The adapter contract: what every way of serving a handler (an adapter for a framework, or core's
 * own ports) must do, over real HTTP against real servers. A new adapter's test file is
 *
 *   runAdapterContract({ name: 'my framework', start: (handlers) => …, sdk: { WeComBot, CallbackRouter } });
 */

import { connect } from 'node:net';
import type { WeComHandler } from '@maven/wecom-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContractSdk, roundTrips } from './round-trips.js';
import { chunkedBody, createProbe, type Running, request } from './servers.js';

export interface AdapterUnderTest {
  name: string;
  /** The SDK's classes, for the encrypted round trips: `{ WeComBot, CallbackRouter }`. */
  sdk: ContractSdk;
  /**
   * Serves `handlers` in order, each as the framework's global middleware, then answers
   * GET/POST `/other` with 200 `other route`; anything else gets the framework's own 404.
   */
  start(handlers: WeComHandler[]): Promise<Running>;
  /**
   * For an adapter that exports `wecomHealth`: serves `wecomHealth()` at GET `/health` and
   * `wecomHealth(extra)` at GET `/health/detail` through the framework's own routing.
   */
  startHealth?(extra: Record<string, unknown>): Promise<Running>;
}

const XML = '<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[企业微信+/=]]></Encrypt></xml>';
const JSON_BODY = '{"encrypt":"企业微信+/="}';

export function runAdapterContract(adapter: AdapterUnderTest): void {
  describe(`${adapter.name}: the handler contract over HTTP`, () => {
    const bot = createProbe({ paths: ['/wecom/bot'], name: 'bot', maxBodyBytes: 2048 });
    const app = createProbe({ paths: ['/wecom/app'], name: 'app', maxBodyBytes: 2048 });
    let server: Running;
    beforeAll(async () => {
      server = await adapter.start([bot.handler, app.handler]);
    });
    afterAll(() => server.close());

    it('passes query parameters URL-decoded exactly once (a literal + stays +)', async () => {
      const res = await request(
        `${server.base}/wecom/bot?echostr=a%2Bb%252Bc%3D&msg_signature=%E4%BC%81&nonce=1+2`,
      );
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        probe: 'bot',
        method: 'GET',
        pathname: '/wecom/bot',
        query: { echostr: 'a+b%2Bc=', msg_signature: '企', nonce: '1+2' },
      });
    });

    it.each([
      ['text/xml', XML],
      ['application/xml', XML],
      ['application/json', XML],
      ['application/json', JSON_BODY],
      ['text/plain', JSON_BODY],
      ['application/x-www-form-urlencoded', JSON_BODY],
      [null, XML],
      [null, JSON_BODY],
    ])('passes the raw body unchanged with Content-Type %s', async (type, body) => {
      const headers: Record<string, string> = type === null ? {} : { 'content-type': type };
      // A byte body makes fetch send no Content-Type at all.
      const res = await request(`${server.base}/wecom/app?x=1`, {
        method: 'POST',
        headers,
        body: new TextEncoder().encode(body),
      });
      expect(res.status).toBe(200);
      const seen = JSON.parse(res.text);
      expect(seen).toMatchObject({ probe: 'app', method: 'POST', body, contentType: type });
    });

    it('sends each path to its handler and lets every other path fall through', async () => {
      const before = bot.seen.length + app.seen.length;
      expect(JSON.parse((await request(`${server.base}/wecom/bot`)).text).probe).toBe('bot');
      expect(JSON.parse((await request(`${server.base}/wecom/app`)).text).probe).toBe('app');
      const other = await request(`${server.base}/other`, { method: 'POST', body: XML });
      expect(other).toMatchObject({ status: 200, text: 'other route' });
      const nowhere = await request(`${server.base}/nowhere?x=1`, { method: 'POST', body: XML });
      expect(nowhere.status).toBe(404);
      expect(nowhere.text).not.toBe('not_found'); // the framework's 404, not the handler's
      expect(bot.seen.length + app.seen.length).toBe(before + 2);
    });

    it("a method other than GET/POST on the handler's path is the handler's 405, not a fall-through", async () => {
      const res = await request(`${server.base}/wecom/bot`, { method: 'PUT', body: 'x' });
      expect(res).toMatchObject({ status: 405, text: 'method_not_allowed' });
      expect(res.headers.get('allow')).toBe('GET, POST');
    });

    it('answers 413 to a declared oversize body before the handler runs', async () => {
      const before = bot.seen.length;
      const res = await request(`${server.base}/wecom/bot`, { method: 'POST', body: 'x'.repeat(2049) });
      expect(res).toMatchObject({ status: 413, text: 'body_too_large' });
      expect(bot.seen.length).toBe(before);
    });

    it('answers 413 to a streamed oversize body (no Content-Length) before the handler runs', async () => {
      const before = bot.seen.length;
      const res = await request(`${server.base}/wecom/bot`, { method: 'POST', ...chunkedBody(64 * 1024) });
      expect(res).toMatchObject({ status: 413, text: 'body_too_large' });
      expect(bot.seen.length).toBe(before);
    });

    it('reads bodies inside the concurrency slot: maxConcurrent 2, 10 slow bodies → 8 answered 503 at once, none hung', async () => {
      const limited = createProbe({ paths: ['/wecom/slow'], name: 'slow', maxConcurrent: 2 });
      const slow = await adapter.start([limited.handler]);
      try {
        const posts = Array.from({ length: 10 }, () => slowPost(new URL(`${slow.base}/wecom/slow`), 100));
        // The 2 in the slots wait for their bodies; the 8 others are refused without being read.
        await new Promise<void>((resolve) => {
          let refused = 0;
          for (const p of posts)
            void p.answered.then((line) => {
              if (line.includes(' 503 ') && ++refused === 8) resolve();
            });
        });
        expect(limited.seen).toHaveLength(0);
        for (const p of posts) p.finish();
        const lines = await Promise.all(posts.map((p) => p.answered));
        expect(lines.filter((l) => l.includes(' 503 '))).toHaveLength(8);
        expect(lines.filter((l) => l.includes(' 200 '))).toHaveLength(2);
        expect(limited.seen).toHaveLength(2);
        for (const p of posts) p.close();
      } finally {
        await slow.close();
      }
    });

    it('counts the cap in bytes, not characters: a body of exactly the cap passes', async () => {
      const body = `${'企'.repeat(682)}xx`; // 682 × 3 + 2 = 2048 bytes
      const res = await request(`${server.base}/wecom/bot`, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).body).toBe(body);
    });
  });
  if (adapter.startHealth) health(adapter.name, adapter.startHealth);
  roundTrips(adapter);
}

function health(name: string, start: NonNullable<AdapterUnderTest['startHealth']>): void {
  describe(`${name}: wecomHealth()`, () => {
    it('answers {"status":"ok"} as JSON, with the extra fields where given', async () => {
      const server = await start({ service: 'contract', replicas: 2 });
      try {
        const res = await request(`${server.base}/health`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(JSON.parse(res.text)).toEqual({ status: 'ok' });
        const detail = await request(`${server.base}/health/detail`);
        expect(detail.status).toBe(200);
        expect(JSON.parse(detail.text)).toEqual({ status: 'ok', service: 'contract', replicas: 2 });
      } finally {
        await server.close();
      }
    });
  });
}

/** A POST whose head and first body byte are sent at once, the rest only on `finish()`. */
function slowPost(url: URL, length: number) {
  const socket = connect(Number(url.port), url.hostname);
  let received = '';
  const answered = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) resolve(received.split('\r\n', 1)[0] ?? '');
    });
    socket.on('error', () => resolve('error'));
    socket.on('close', () => resolve(received ? (received.split('\r\n', 1)[0] ?? '') : 'closed'));
  });
  socket.write(
    `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n{`,
  );
  return {
    answered,
    finish: () => {
      if (!socket.destroyed) socket.write(`${'x'.repeat(length - 2)}}`);
    },
    close: () => socket.destroy(),
  };
}
