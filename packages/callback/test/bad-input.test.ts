import { WeComCryptoSync } from '@maven/wecom-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackRouter } from '../src/index.js';
import { callbackFor, captureLogger, type Listening, listen, makeApp, post, textXml } from './helpers.js';

const app = makeApp();
const { logger, lines } = captureLogger();
const router = new CallbackRouter({ app, logger });
const dispatched: string[] = [];
router.on('text', (msg) => {
  dispatched.push(msg.content);
});
let server: Listening;

beforeAll(async () => {
  server = await listen(router);
});
afterAll(async () => {
  await server.close();
});

function signed(encrypt: string, body: string) {
  const codec = new WeComCryptoSync({
    token: app.token,
    encodingAESKey: app.encodingAESKey,
    receiveId: app.corpId,
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = '1234567890';
  const query = new URLSearchParams({
    msg_signature: codec.signature(timestamp, nonce, encrypt),
    timestamp,
    nonce,
  });
  return { search: `?${query.toString()}`, body };
}

const envelope = (encrypt: string) =>
  `<xml><ToUserName><![CDATA[${app.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[${app.agentId}]]></AgentID></xml>`;

describe('bad input: typed error, right status, nothing dispatched, process keeps running', () => {
  it('wrong signature → 401 no_matching_app', async () => {
    const cb = callbackFor(app, textXml(app, 'x'));
    const search = cb.search.replace(
      /msg_signature=[0-9a-f]/,
      (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`,
    );
    expect(await post(router, { search, body: cb.body })).toMatchObject({
      status: 401,
      body: 'no_matching_app',
    });
  });

  it('missing query parameters → 400 missing_parameter', async () => {
    const cb = callbackFor(app, textXml(app, 'x'));
    for (const name of ['msg_signature', 'timestamp', 'nonce']) {
      const q = new URLSearchParams(cb.search);
      q.delete(name);
      expect(await post(router, { search: `?${q.toString()}`, body: cb.body })).toMatchObject({
        status: 400,
        body: 'missing_parameter',
      });
    }
  });

  it('XML with a DOCTYPE or entities → 400 parse_failed (no XXE, no expansion)', async () => {
    const cb = callbackFor(app, textXml(app, 'x'));
    const doctype = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${cb.body.replace('<ToUserName>', '<ToUserName>&xxe;')}`;
    expect(await post(router, { search: cb.search, body: doctype })).toMatchObject({
      status: 400,
      body: 'parse_failed',
    });
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>${cb.body}`;
    expect(await post(router, { search: cb.search, body: laughs })).toMatchObject({
      status: 400,
      body: 'parse_failed',
    });
  });

  it('a decrypted payload with a DOCTYPE is refused too', async () => {
    const xml = `<!DOCTYPE xml [<!ENTITY e "boom">]><xml><ToUserName>${app.corpId}</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&e;</Content></xml>`;
    expect(await post(router, callbackFor(app, xml))).toMatchObject({ status: 400, body: 'parse_failed' });
  });

  it('huge XML → 413 body_too_large, before any crypto work', async () => {
    const cb = callbackFor(app, textXml(app, 'x'));
    const huge = cb.body.replace('</xml>', `<Pad>${'A'.repeat(70 * 1024)}</Pad></xml>`);
    expect(await post(router, { search: cb.search, body: huge })).toMatchObject({
      status: 413,
      body: 'body_too_large',
    });
    const res = await fetch(`${server.url}/wecom/callback${cb.search}`, { method: 'POST', body: huge });
    expect(res.status).toBe(413);
  });

  it('missing <Encrypt>, non-XML, JSON and empty bodies → 400', async () => {
    const cb = callbackFor(app, textXml(app, 'x'));
    for (const body of [
      `<xml><ToUserName>${app.corpId}</ToUserName></xml>`,
      'definitely not xml',
      JSON.stringify({ encrypt: 'abc' }),
      '',
      '<xml><Encrypt><![CDATA[x]]></Encrypt>',
    ]) {
      const out = await post(router, { search: cb.search, body });
      expect(out.status).toBe(400);
      expect(['parse_failed']).toContain(out.body);
    }
  });

  it('a correctly signed Encrypt that is not base64 → 400 decode_base64_failed', async () => {
    const out = await post(router, signed('not*base64!', envelope('not*base64!')));
    expect(out).toMatchObject({ status: 400, body: 'decode_base64_failed' });
  });

  it('decrypted XML missing FromUserName / MsgType, or not XML at all → 400', async () => {
    const noFrom = `<xml><ToUserName>${app.corpId}</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>`;
    expect(await post(router, callbackFor(app, noFrom))).toMatchObject({ status: 400, body: 'bad_request' });
    const noType = `<xml><ToUserName>${app.corpId}</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>`;
    expect(await post(router, callbackFor(app, noType))).toMatchObject({ status: 400, body: 'bad_request' });
    expect(await post(router, callbackFor(app, 'plain words'))).toMatchObject({
      status: 400,
      body: 'parse_failed',
    });
  });

  it('over HTTP too, and the server still serves good callbacks afterwards', async () => {
    const before = dispatched.length;
    const cb = callbackFor(app, textXml(app, 'x'));
    const bad = await fetch(`${server.url}/wecom/callback${cb.search}`, {
      method: 'POST',
      body: '<!DOCTYPE x><xml/>',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('parse_failed');
    const good = callbackFor(app, textXml(app, 'survivor'));
    const res = await fetch(`${server.url}/wecom/callback${good.search}`, {
      method: 'POST',
      body: good.body,
    });
    expect(res.status).toBe(200);
    expect(dispatched.slice(before)).toEqual(['survivor']);
    // Refused callbacks are logged at warn (rate-limited) with the stable code, never with the body.
    expect(lines.some((l) => l.startsWith('warn callback refused') && l.includes('parse_failed'))).toBe(true);
  });
});
