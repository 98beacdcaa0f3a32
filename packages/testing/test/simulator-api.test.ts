import { WeComCrypto } from '@maven/wecom-crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWeComSimulator, type WeComSimulator } from '../src/index.js';
import { SET_A } from './vectors.js';

const APP = { name: 'hermes', corpId: 'ww-corp', corpSecret: 'sec-1', agentId: 1000002 };
const OTHER_APP = { name: 'other', corpId: 'ww-corp', corpSecret: 'sec-2', agentId: 1000003 };

let clock = 1_700_000_000_000;
let sim: WeComSimulator;

beforeEach(async () => {
  clock = 1_700_000_000_000;
  sim = await startWeComSimulator({ apps: [APP, OTHER_APP], now: () => clock, users: ['zhangsan', 'lisi'] });
});
afterEach(async () => {
  await sim.close();
});

async function getJson(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${sim.url}${path}`);
  return (await res.json()) as Record<string, unknown>;
}

async function postJson(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

async function token(app = APP): Promise<string> {
  const res = await getJson(`/cgi-bin/gettoken?corpid=${app.corpId}&corpsecret=${app.corpSecret}`);
  return res.access_token as string;
}

const text = (content: string, extra: Record<string, unknown> = {}) => ({
  touser: 'zhangsan',
  msgtype: 'text',
  agentid: APP.agentId,
  text: { content },
  ...extra,
});

describe('gettoken', () => {
  it('issues tokens for registered apps and rejects wrong credentials with documented codes', async () => {
    const ok = await getJson(`/cgi-bin/gettoken?corpid=${APP.corpId}&corpsecret=${APP.corpSecret}`);
    expect(ok).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(typeof ok.access_token).toBe('string');
    expect(await getJson(`/cgi-bin/gettoken?corpid=nope&corpsecret=${APP.corpSecret}`)).toMatchObject({
      errcode: 40013,
    });
    expect(await getJson(`/cgi-bin/gettoken?corpid=${APP.corpId}&corpsecret=wrong`)).toMatchObject({
      errcode: 40001,
    });
    expect(await getJson('/cgi-bin/gettoken?corpsecret=x')).toMatchObject({ errcode: 41002 });
    expect(await getJson(`/cgi-bin/gettoken?corpid=${APP.corpId}`)).toMatchObject({ errcode: 41004 });
    expect(sim.count('gettoken')).toBe(5);
    expect(sim.calls('/cgi-bin/gettoken')[0]).toMatchObject({ method: 'GET', app: 'hermes', status: 200 });
  });

  it('honours tokenTtlSeconds', async () => {
    const short = await startWeComSimulator({ apps: [APP], tokenTtlSeconds: 60 });
    try {
      const res = await fetch(
        `${short.url}/cgi-bin/gettoken?corpid=${APP.corpId}&corpsecret=${APP.corpSecret}`,
      );
      expect(await res.json()).toMatchObject({ expires_in: 60 });
    } finally {
      await short.close();
    }
  });
});

describe('message/send', () => {
  it('accepts a valid text message and records it', async () => {
    const t = await token();
    const res = await postJson(`/cgi-bin/message/send?access_token=${t}`, text('hello'));
    expect(res).toMatchObject({ errcode: 0, errmsg: 'ok', invaliduser: '' });
    expect(typeof res.msgid).toBe('string');
    expect(sim.messages('hermes')).toHaveLength(1);
    expect(sim.messages('hermes')[0]?.body).toMatchObject({ text: { content: 'hello' } });
    const call = sim.calls('message/send')[0];
    expect(call).toMatchObject({ app: 'hermes', body: { msgtype: 'text' }, response: { errcode: 0 } });
  });

  it('answers token errors: missing 41001, unknown 40014, expired 42001, revoked 40014', async () => {
    expect(await postJson('/cgi-bin/message/send', text('x'))).toMatchObject({ errcode: 41001 });
    expect(await postJson('/cgi-bin/message/send?access_token=bogus', text('x'))).toMatchObject({
      errcode: 40014,
    });
    const t = await token();
    clock += 7200 * 1000;
    expect(await postJson(`/cgi-bin/message/send?access_token=${t}`, text('x'))).toMatchObject({
      errcode: 42001,
    });
    const t2 = await token();
    expect(await postJson(`/cgi-bin/message/send?access_token=${t2}`, text('x'))).toMatchObject({
      errcode: 0,
    });
    expect(sim.expireTokens('hermes')).toBe(2);
    expect(await postJson(`/cgi-bin/message/send?access_token=${t2}`, text('x'))).toMatchObject({
      errcode: 42001,
    });
    const t3 = await token();
    sim.revokeTokens();
    expect(await postJson(`/cgi-bin/message/send?access_token=${t3}`, text('x'))).toMatchObject({
      errcode: 40014,
    });
  });

  it('validates the body shape', async () => {
    const t = await token();
    const path = `/cgi-bin/message/send?access_token=${t}`;
    expect(await postJson(path, 'not json')).toMatchObject({ errcode: 47001 });
    expect(await postJson(path, text('x', { agentid: OTHER_APP.agentId }))).toMatchObject({ errcode: 40056 });
    expect(await postJson(path, text('x', { agentid: undefined }))).toMatchObject({ errcode: 41011 });
    expect(await postJson(path, text('x', { touser: '' }))).toMatchObject({ errcode: 82001 });
    expect(await postJson(path, text('x', { msgtype: 'telegram' }))).toMatchObject({ errcode: 40008 });
    expect(await postJson(path, text(''))).toMatchObject({ errcode: 44004 });
    // 683 CJK characters are 2049 UTF-8 bytes: over the limit although only 683 characters.
    expect(await postJson(path, text('好'.repeat(683)))).toMatchObject({ errcode: 45002 });
    expect(await postJson(path, text('好'.repeat(682)))).toMatchObject({ errcode: 0 });
    expect(await postJson(path, text('x', { touser: 'ZhangSan|ghost' }))).toMatchObject({
      errcode: 0,
      invaliduser: 'ghost',
    });
    expect(await postJson(path, text('x', { touser: 'ghost' }))).toMatchObject({ errcode: 81013 });
    expect(await postJson(path, text('x', { touser: '', toparty: '2' }))).toMatchObject({ errcode: 0 });
    expect(
      await postJson(path, {
        touser: 'lisi',
        msgtype: 'image',
        agentid: APP.agentId,
        image: { media_id: 'nope' },
      }),
    ).toMatchObject({ errcode: 40007 });
    expect(
      await postJson(path, {
        touser: 'lisi',
        msgtype: 'textcard',
        agentid: APP.agentId,
        textcard: { title: 't' },
      }),
    ).toMatchObject({
      errcode: 41033,
    });
  });
});

describe('fault injection', () => {
  it('answers injected faults in order, then behaves normally', async () => {
    const t = await token();
    const path = `/cgi-bin/message/send?access_token=${t}`;
    sim.inject([
      { path: 'message/send', errcode: -1, times: 2 },
      { path: 'message/send', errcode: 45009, errmsg: 'custom' },
      { path: 'message/send', status: 502 },
      { path: 'message/send', nonJson: true },
      { path: 'message/send', drop: true },
      { path: 'message/send', delayMs: 30 },
    ]);
    expect(await postJson(path, text('1'))).toMatchObject({ errcode: -1, errmsg: 'system busy' });
    expect(await postJson(path, text('2'))).toMatchObject({ errcode: -1 });
    expect(await postJson(path, text('3'))).toEqual({ errcode: 45009, errmsg: 'custom' });
    const bad = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(text('4')) });
    expect(bad.status).toBe(502);
    const html = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(text('5')) });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    await expect(
      fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(text('6')) }),
    ).rejects.toThrow();
    expect(await postJson(path, text('7'))).toMatchObject({ errcode: 0 }); // slow, then handled normally
    expect(await postJson(path, text('8'))).toMatchObject({ errcode: 0 });
    expect(sim.count('message/send')).toBe(8);
    expect(sim.calls('message/send').filter((c) => c.fault)).toHaveLength(7);
    expect(sim.messages()).toHaveLength(2);
  });

  it('faults on other routes do not affect message/send; clearFaults drops pending ones', async () => {
    sim.inject({ path: 'gettoken', errcode: 40013 });
    sim.inject({ path: '/cgi-bin/gettoken', status: 500, times: 3 });
    expect(
      await getJson(`/cgi-bin/gettoken?corpid=${APP.corpId}&corpsecret=${APP.corpSecret}`),
    ).toMatchObject({ errcode: 40013 });
    sim.clearFaults();
    expect(await token()).toEqual(expect.any(String));
  });

  it('rejects malformed fault specs eagerly', () => {
    expect(() => sim.inject({ path: 'x', times: 0 })).toThrow(/times/);
    expect(() => sim.inject({ path: 'x', status: 42 })).toThrow(/status/);
    expect(() => sim.inject({ path: 'x', bogus: 1 } as never)).toThrow(/unknown option/);
  });
});

describe('response_url', () => {
  it('is single use and records what it received', async () => {
    const url = sim.createResponseUrl();
    expect(url.startsWith(`${sim.url}/cgi-bin/aibot/response?response_code=`)).toBe(true);
    const body = { msgtype: 'markdown', markdown: { content: '**hi**' } };
    const waiting = sim.waitForResponse(url, { timeoutMs: 2000 });
    expect(await postJson(new URL(url).pathname + new URL(url).search, body)).toEqual({
      errcode: 0,
      errmsg: 'ok',
    });
    expect((await waiting).body).toEqual(body);
    expect(await postJson(new URL(url).pathname + new URL(url).search, body)).toMatchObject({
      errcode: 42022,
    });
    expect(sim.responses(url)).toHaveLength(2);
    expect(sim.responses(url).map((r) => r.result.errcode)).toEqual([0, 42022]);
  });

  it('expires after one hour (injected clock)', async () => {
    const url = new URL(sim.createResponseUrl());
    clock += 60 * 60 * 1000 - 1;
    const early = sim.createResponseUrl();
    clock += 1;
    expect(
      await postJson(url.pathname + url.search, { msgtype: 'markdown', markdown: { content: 'x' } }),
    ).toMatchObject({
      errcode: 40058,
    });
    const e = new URL(early);
    expect(
      await postJson(e.pathname + e.search, { msgtype: 'markdown', markdown: { content: 'x' } }),
    ).toMatchObject({
      errcode: 0,
    });
  });

  it('validates content: empty 44004, > 20480 bytes 45002, unknown msgtype 40008, cards only in single chats', async () => {
    const post = (u: string, body: unknown) => {
      const url = new URL(u);
      return postJson(url.pathname + url.search, body);
    };
    const u = sim.createResponseUrl();
    expect(await post(u, { msgtype: 'markdown', markdown: { content: '' } })).toMatchObject({
      errcode: 44004,
    });
    expect(await post(u, { msgtype: 'markdown', markdown: { content: '好'.repeat(6827) } })).toMatchObject({
      errcode: 45002,
    });
    expect(await post(u, { msgtype: 'text', text: { content: 'x' } })).toMatchObject({ errcode: 40008 });
    expect(await post(u, { msgtype: 'markdown', markdown: { content: '好'.repeat(6826) } })).toMatchObject({
      errcode: 0,
    });
    const group = sim.createResponseUrl({ chattype: 'group' });
    expect(
      await post(group, { msgtype: 'template_card', template_card: { card_type: 'text_notice' } }),
    ).toMatchObject({
      errcode: 40058,
    });
    expect(
      await post(sim.createResponseUrl(), {
        msgtype: 'template_card',
        template_card: { card_type: 'text_notice' },
      }),
    ).toMatchObject({
      errcode: 0,
    });
    expect(
      await postJson('/cgi-bin/aibot/response?response_code=unknown', {
        msgtype: 'markdown',
        markdown: { content: 'x' },
      }),
    ).toMatchObject({
      errcode: 40058,
    });
  });

  it('an injected errcode does not consume the URL (the retry can succeed)', async () => {
    const url = new URL(sim.createResponseUrl());
    sim.inject({ path: 'aibot/response', errcode: 6000 });
    const body = { msgtype: 'markdown', markdown: { content: 'x' } };
    expect(await postJson(url.pathname + url.search, body)).toMatchObject({ errcode: 6000 });
    expect(await postJson(url.pathname + url.search, body)).toMatchObject({ errcode: 0 });
  });
});

describe('media', () => {
  it('serves CDN media encrypted with the bot key; decryptMedia restores the bytes', async () => {
    const bytes = new Uint8Array(1000).map((_, i) => (i * 7) & 255);
    const url = sim.putMedia(bytes, {
      encodingAESKey: SET_A.encodingAESKey,
      contentType: 'image/png',
      filename: 'a.png',
    });
    expect(url.startsWith(`${sim.url}/media/`)).toBe(true);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toContain('a.png');
    const encrypted = new Uint8Array(await res.arrayBuffer());
    expect(encrypted.length % 32).toBe(0);
    expect(Buffer.from(encrypted).equals(Buffer.from(bytes))).toBe(false);
    const codec = new WeComCrypto({ token: 't', encodingAESKey: SET_A.encodingAESKey });
    expect(Buffer.from(await codec.decryptMedia(encrypted)).equals(Buffer.from(bytes))).toBe(true);
    expect(sim.count('media')).toBe(1);
  });

  it('supports per-URL aeskeys, expires after 5 minutes and 404s unknown ids', async () => {
    const aesKey = Buffer.alloc(32, 7).toString('base64');
    const url = sim.putMedia(new TextEncoder().encode('file body'), { aesKey });
    const codec = new WeComCrypto({ token: 't', encodingAESKey: SET_A.encodingAESKey });
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const plain = await codec.decryptMedia(new Uint8Array(await res.arrayBuffer()), aesKey);
    expect(new TextDecoder().decode(plain)).toBe('file body');
    clock += 5 * 60 * 1000;
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(`${sim.url}/media/nope`)).status).toBe(404);
    expect(() => sim.putMedia(new Uint8Array(1), {})).toThrow(/encodingAESKey/);
  });

  it('media/upload (multipart field "media") and media/get round-trip; the media_id then sends', async () => {
    const t = await token();
    const form = new FormData();
    form.append('media', new Blob([Buffer.from('%PDF-1.4 fake')], { type: 'application/pdf' }), 'report.pdf');
    const up = (await (
      await fetch(`${sim.url}/cgi-bin/media/upload?access_token=${t}&type=file`, {
        method: 'POST',
        body: form,
      })
    ).json()) as Record<string, unknown>;
    expect(up).toMatchObject({ errcode: 0, type: 'file', created_at: expect.stringMatching(/^\d+$/) });
    const mediaId = up.media_id as string;
    expect(sim.uploadedMedia()[0]).toMatchObject({ filename: 'report.pdf', contentType: 'application/pdf' });
    const got = await fetch(`${sim.url}/cgi-bin/media/get?access_token=${t}&media_id=${mediaId}`);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(Buffer.from(await got.arrayBuffer()).toString()).toBe('%PDF-1.4 fake');
    expect(await getJson(`/cgi-bin/media/get?access_token=${t}&media_id=zzz`)).toMatchObject({
      errcode: 40007,
    });
    expect(
      await postJson(`/cgi-bin/message/send?access_token=${t}`, {
        touser: 'lisi',
        msgtype: 'file',
        agentid: APP.agentId,
        file: { media_id: mediaId },
      }),
    ).toMatchObject({ errcode: 0 });
    const tiny = new FormData();
    tiny.append('media', new Blob([Buffer.from('abc')]), 'x.txt');
    expect(
      await (
        await fetch(`${sim.url}/cgi-bin/media/upload?access_token=${t}&type=file`, {
          method: 'POST',
          body: tiny,
        })
      ).json(),
    ).toMatchObject({ errcode: 40006 });
    expect(
      await (
        await fetch(`${sim.url}/cgi-bin/media/upload?access_token=${t}&type=movie`, {
          method: 'POST',
          body: tiny,
        })
      ).json(),
    ).toMatchObject({ errcode: 40005 });
  });
});

describe('other APIs', () => {
  it('recall, update_template_card and getcallbackip', async () => {
    const t = await token();
    const sent = await postJson(`/cgi-bin/message/send?access_token=${t}`, text('oops'));
    expect(await postJson(`/cgi-bin/message/recall?access_token=${t}`, { msgid: sent.msgid })).toMatchObject({
      errcode: 0,
    });
    expect(await postJson(`/cgi-bin/message/recall?access_token=${t}`, { msgid: sent.msgid })).toMatchObject({
      errcode: 40058,
    });
    const card = await postJson(`/cgi-bin/message/send?access_token=${t}`, {
      touser: 'zhangsan',
      msgtype: 'template_card',
      agentid: APP.agentId,
      template_card: { card_type: 'button_interaction', task_id: 't1' },
    });
    expect(typeof card.response_code).toBe('string');
    const update = {
      agentid: APP.agentId,
      response_code: card.response_code,
      button: { replace_name: 'done' },
    };
    expect(await postJson(`/cgi-bin/message/update_template_card?access_token=${t}`, update)).toMatchObject({
      errcode: 0,
    });
    expect(await postJson(`/cgi-bin/message/update_template_card?access_token=${t}`, update)).toMatchObject({
      errcode: 42022,
    });
    expect(await getJson(`/cgi-bin/getcallbackip?access_token=${t}`)).toEqual({
      errcode: 0,
      errmsg: 'ok',
      ip_list: ['127.0.0.1'],
    });
    expect((await fetch(`${sim.url}/nothing`)).status).toBe(404);
  });

  it('close() returns promptly even with a request held by a delay fault', async () => {
    sim.inject({ path: 'gettoken', delayMs: 60_000 });
    const pending = fetch(
      `${sim.url}/cgi-bin/gettoken?corpid=${APP.corpId}&corpsecret=${APP.corpSecret}`,
    ).then(
      () => 'answered',
      () => 'failed',
    );
    await sim.waitForCall('gettoken', { timeoutMs: 2000 });
    await sim.close();
    expect(await pending).toBe('failed');
  });

  it('refuses unknown options and bad apps eagerly', async () => {
    await expect(startWeComSimulator({ prot: 1 } as never)).rejects.toThrow(/unknown option "prot"/);
    await expect(
      startWeComSimulator({ apps: [{ corpId: 'c', corpSecret: '', agentId: 1 }] }),
    ).rejects.toThrow(/corpSecret/);
    await expect(startWeComSimulator({ apps: [APP, APP] })).rejects.toThrow(/duplicate/);
  });
});
