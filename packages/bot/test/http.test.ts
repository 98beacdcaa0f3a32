/** End to end over real sockets: WeCom → node:http → bot → fake WeCom's response_url and CDN. */
import {
  botImage,
  botStreamRefresh,
  botText,
  buildBotCallback,
  buildBotVerification,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryResult, MediaFile } from '../src/index.js';
import {
  decryptReply,
  encryptMedia,
  type FakeWeCom,
  fakePng,
  gate,
  KEY,
  makeBot,
  serveBot,
  startFakeWeCom,
  type TestBot,
  TOKEN,
} from './helpers.js';

let wecom: FakeWeCom;
let t: TestBot;
let server: Awaited<ReturnType<typeof serveBot>>;
const late = gate();
const lateResult = gate<DeliveryResult>();
const media = gate<MediaFile>();

beforeAll(async () => {
  wecom = await startFakeWeCom();
  t = makeBot({ path: '/wecom/bot', maxBodyBytes: 64 * 1024 });
  t.bot.on('text', async (m, ctx) => {
    if (m.text === 'quick') await ctx.reply('**quick** answer');
    if (m.text === 'stream') await ctx.stream().append('streaming…');
    if (m.text === 'late') {
      await late.promise;
      lateResult.open(await ctx.reply('late answer'));
    }
  });
  t.bot.on('image', async (_m, ctx) => {
    media.open(await ctx.downloadMedia());
  });
  server = await serveBot(t.bot);
});

afterAll(async () => {
  await t.bot.close({ timeoutMs: 2000 });
  await server.close();
  await wecom.close();
});

async function send(message: object, path = '/wecom/bot') {
  const cb = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message });
  const res = await fetch(`${server.url}${path}${cb.search}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: cb.body,
  });
  const body = await res.text();
  return {
    status: res.status,
    body,
    reply: res.status === 200 && body ? decryptReply(body, cb.nonce) : null,
  };
}

describe('over HTTP on 127.0.0.1', () => {
  it('URL verification answers the bare echo', async () => {
    const v = buildBotVerification({ token: TOKEN, encodingAESKey: KEY });
    const res = await fetch(`${server.url}/wecom/bot${v.search}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes)).toBe(v.echo);
    expect(bytes[0]).not.toBe(0xef); // no BOM
  });

  it('a passive reply comes back encrypted in the response', async () => {
    const out = await send(botText({ content: 'quick' }));
    expect(out.status).toBe(200);
    expect(out.reply).toMatchObject({
      msgtype: 'stream',
      stream: { finish: true, content: '**quick** answer' },
    });
  });

  it('a stream is refreshed over HTTP', async () => {
    const first = await send(botText({ content: 'stream' }));
    const id = first.reply!.stream!.id!;
    const again = await send(botStreamRefresh(id));
    expect(again.reply?.stream).toEqual({ id, finish: false, content: 'streaming…' });
  });

  it('a late reply goes to the fake WeCom response_url', async () => {
    const url = wecom.responseUrl();
    const out = await send(botText({ content: 'late', responseUrl: url }));
    expect(out.body).toBe('');
    late.open();
    expect(await lateResult.promise).toMatchObject({ ok: true, channel: 'response_url' });
    expect(wecom.callsFor(url)[0]?.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: 'late answer' },
    });
  });

  it('media is fetched from the fake CDN and decrypted', async () => {
    const png = fakePng(2048);
    const url = wecom.putMedia('http-media', { bytes: encryptMedia(png) });
    await send(botImage({ url }));
    const file = await media.promise;
    expect(file.mime).toBe('image/png');
    expect(file.bytes.length).toBe(2048);
  });

  it('20 concurrent copies of one message over HTTP dispatch once', async () => {
    let calls = 0;
    const count = () => {
      calls++;
    };
    t.bot.on('voice', count);
    const msg = {
      msgid: `dup-${Date.now()}`,
      aibotid: 'aibot-sim',
      chattype: 'single',
      from: { userid: 'u' },
      msgtype: 'voice',
      voice: { content: 'hi' },
    };
    const outs = await Promise.all(Array.from({ length: 20 }, () => send(msg)));
    t.bot.off('voice', count);
    expect(outs.map((o) => o.status)).toEqual(Array(20).fill(200));
    expect(calls).toBe(1);
  });

  it('bad requests get their status codes, and the server keeps serving', async () => {
    const wrong = buildBotCallback({
      token: 'wrong-token',
      encodingAESKey: KEY,
      message: botText({ content: 'x' }),
    });
    expect(
      (await fetch(`${server.url}/wecom/bot${wrong.search}`, { method: 'POST', body: wrong.body })).status,
    ).toBe(401);
    expect((await fetch(`${server.url}/wecom/bot`, { method: 'POST', body: '{}' })).status).toBe(400);
    const cb = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message: botText({ content: 'x' }) });
    expect(
      (await fetch(`${server.url}/wecom/bot${cb.search}`, { method: 'POST', body: '{oops' })).status,
    ).toBe(400);
    const big = await fetch(`${server.url}/wecom/bot${cb.search}`, {
      method: 'POST',
      body: 'x'.repeat(100_000),
    });
    expect(big.status).toBe(413);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
    expect((await send(botText({ content: 'quick' }))).status).toBe(200);
  });
});
