/**
 * The adapter contract, run against every way of serving a handler (Express, Koa, Hono on
 * @hono/node-server, core's toNodeListener on node:http, core's toFetchHandler on a Node fetch
 * server): real servers, real HTTP, the core's handler contract behind them.
 */
import type { WeComHandler } from '@maven/wecom-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTrips } from './round-trips.ts';
import { chunkedBody, createProbe, type Running, request } from './servers.ts';

export interface AdapterUnderTest {
  name: string;
  /**
   * Serves `handlers` in order, each as the framework's global middleware, then answers
   * GET/POST `/other` with 200 `other route`; anything else gets the framework's own 404.
   */
  start(handlers: WeComHandler[]): Promise<Running>;
}

const XML = '<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[企业微信+/=]]></Encrypt></xml>';
const JSON_BODY = '{"encrypt":"企业微信+/="}';

export function adapterContract(adapter: AdapterUnderTest): void {
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

    it('counts the cap in bytes, not characters: a body of exactly the cap passes', async () => {
      const body = `${'企'.repeat(682)}xx`; // 682 × 3 + 2 = 2048 bytes
      const res = await request(`${server.base}/wecom/bot`, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).body).toBe(body);
    });
  });
  roundTrips(adapter);
}
