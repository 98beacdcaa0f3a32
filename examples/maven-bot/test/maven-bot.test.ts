/**
 * examples/maven-bot as a real child process against the simulated WeCom, over real HTTP: every
 * behaviour the reference gateway's page promises, and the defects it must not reproduce.
 */
import {
  type BotDriver,
  botImage,
  botMixed,
  botText,
  botVoice,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample, type StartedExample, startExample } from '../../test-support/child.js';
import { PNG_1X1, randomEncodingAESKey, type TempDir, tempDir } from '../../test-support/fixtures.js';
import { WELCOME } from '../src/agent.js';

const ENTRY = 'examples/maven-bot/src/main.ts';
/** The echo agent's answer to the 1×1 PNG: the decrypted bytes as a base64 block (head and length). */
const PNG_BASE64 = PNG_1X1.toString('base64');
const IMAGE_ANSWER = `image: image/png ${PNG_1X1.byteLength} → base64 block ${PNG_BASE64.slice(0, 16)}… (${PNG_BASE64.length} chars)`;
const TOKEN = 'mavenBotToken42';
const KEY = randomEncodingAESKey();

let sim: WeComSimulator;
let dir: TempDir;

function config(wecom: Record<string, unknown>): string {
  return JSON.stringify({ agents: { default: 'echo' }, channels: { wecom } }, null, 2);
}

const base = { enabled: true, token: TOKEN, encodingAESKey: KEY, receiveId: '', port: 9886, proxy: '' };

beforeAll(async () => {
  sim = await startWeComSimulator();
  dir = tempDir('maven-bot-test-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

/** A gateway log line `<event> {..."msgid":"<msgid>"...}` (msgids hold regex characters such as '+'). */
function logLine(event: string, msgid: string): RegExp {
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`${quote(event)} .*"msgid":"${quote(msgid)}"`);
}

/** Every "inbound" log line of a msgid: how often the gateway dispatched it. */
function dispatches(gw: StartedExample, msgid: string): number {
  return gw.stderr.filter((line) => line.includes(' inbound ') && line.includes(`"msgid":"${msgid}"`)).length;
}

describe('maven-bot: markdown replies through response_url', () => {
  let gw: StartedExample;
  let bot: BotDriver;

  beforeAll(async () => {
    const file = dir.write('maven.json', config({ ...base, allowFrom: [' zhangsan ', 'lisi'] }));
    gw = await startExample(ENTRY, [
      '--config',
      file,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--media-base',
      sim.url,
    ]);
    bot = sim.bot({ token: TOKEN, encodingAESKey: KEY });
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('prints the ready line and makes its reactive-only capability visible at start', () => {
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wecom\/bot$/);
    const capabilities = gw.stderr.find((line) => line.includes('capabilities'));
    expect(capabilities).toContain('"reactiveOnly":true');
    expect(capabilities).toContain('"fileUpload":false');
  });

  it('passes the WeCom console URL verification with the bare plaintext', async () => {
    const result = await bot.verify(gw.url);
    expect(result.status).toBe(200);
    expect(result.body).toBe(result.echo);
    expect(result.ok).toBe(true);
  });

  it('answers GET /health with {"status":"ok"}', async () => {
    const res = await fetch(`${gw.origin}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${gw.origin}/elsewhere`)).status).toBe(404);
  });

  it('refuses a callback with a bad signature (401) and a missing parameter (400)', async () => {
    const url = new URL(gw.url);
    url.search = '?msg_signature=0000&timestamp=1&nonce=2';
    const forged = await fetch(url, { method: 'POST', body: JSON.stringify({ encrypt: 'AAAA' }) });
    expect([400, 401]).toContain(forged.status);
    const missing = await fetch(gw.url, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(400);
  });

  it('echoes text as markdown through the message’s response_url and acks with an empty 200', async () => {
    const res = await bot.send(gw.url, 'hello');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: hello' } });
    expect(posted.result.errcode).toBe(0);
  });

  it('echoes a voice message’s transcript', async () => {
    const res = await bot.send(gw.url, botVoice({ content: '语音转写的文字' }));
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: 语音转写的文字' } });
  });

  it('echoes the text items of a mixed message joined by a newline', async () => {
    const res = await bot.send(gw.url, botMixed({ items: [{ text: 'first' }, { text: 'second' }] }));
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: first\nsecond' } });
  });

  it('keeps the images of a mixed message (downloaded and decrypted) instead of dropping them', async () => {
    const imageUrl = sim.putMedia(PNG_1X1, { encodingAESKey: KEY, contentType: 'image/png' });
    const res = await bot.send(gw.url, botMixed({ items: [{ text: 'look' }, { imageUrl }] }));
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: `echo: look\n${IMAGE_ANSWER}` },
    });
  });

  it('downloads and decrypts an image and answers with its MIME type and size', async () => {
    // Served with a misleading Content-Type: the MIME type comes from the decrypted bytes.
    const url = sim.putMedia(PNG_1X1, { encodingAESKey: KEY, contentType: 'application/octet-stream' });
    const res = await bot.send(gw.url, botImage({ url }));
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: IMAGE_ANSWER },
    });
    expect(sim.calls('media').filter((c) => url.endsWith(c.path))).toHaveLength(1);
  });

  it('welcomes a user on enter_chat with a passive text reply', async () => {
    const res = await bot.event(gw.url, 'enter_chat');
    expect(res.status).toBe(200);
    expect(res.reply).toEqual({ msgtype: 'text', text: { content: WELCOME } });
  });

  it('applies allowFrom (trimmed ids) before anything else: a denied user gets no reply', async () => {
    const denied = await bot.send(gw.url, botText({ content: 'let me in', from: 'mallory' }));
    expect(denied.status).toBe(200);
    expect(denied.body).toBe('');
    // lisi is allowed: their reply arrives, and by then the denied message was long decided.
    const allowed = await bot.send(gw.url, botText({ content: 'hi', from: 'lisi' }));
    await sim.waitForResponse(allowed.responseUrl!);
    expect(dispatches(gw, denied.message.msgid)).toBe(0);
    expect(sim.responses(denied.responseUrl!)).toEqual([]);
    expect(
      sim.calls('aibot/response').filter((c) => denied.responseUrl!.includes(c.query.response_code!)),
    ).toEqual([]);
  });

  it('dispatches a re-delivered message (same msgid, new nonce) once and replies once', async () => {
    const message = botText({ content: 'only once', responseUrl: sim.createResponseUrl() });
    const first = await bot.send(gw.url, message);
    const again = await bot.send(gw.url, message);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    await gw.waitForLine(logLine('reply.delivered', message.msgid), { stream: 'stderr' });
    expect(dispatches(gw, message.msgid)).toBe(1);
    expect(sim.responses(message.response_url!)).toHaveLength(1);
  });

  it('retries a response_url post that got errcode -1 and delivers the reply exactly once', async () => {
    sim.inject({ path: 'aibot/response', errcode: -1 });
    const res = await bot.send(gw.url, 'busy wecom');
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: busy wecom' } });
    const code = new URL(res.responseUrl!).searchParams.get('response_code');
    const calls = sim.calls('aibot/response').filter((c) => c.query.response_code === code);
    expect(calls.map((c) => (c.response as { errcode: number }).errcode)).toEqual([-1, 0]);
    await gw.waitForLine(logLine('reply.delivered', res.message.msgid), { stream: 'stderr' });
    expect(sim.responses(res.responseUrl!).filter((r) => r.result.errcode === 0)).toHaveLength(1);
  });

  it('does not retry a payload error (44004): one post, reported as failed', async () => {
    sim.inject({ path: 'aibot/response', errcode: 44004 });
    const res = await bot.send(gw.url, 'rejected');
    const line = await gw.waitForLine(logLine('reply.failed', res.message.msgid), {
      stream: 'stderr',
    });
    expect(line).toContain('"reason":"api_error"');
    const code = new URL(res.responseUrl!).searchParams.get('response_code');
    expect(sim.calls('aibot/response').filter((c) => c.query.response_code === code)).toHaveLength(1);
  });

  it('never prints the token or the key', () => {
    const all = `${gw.stdout.join('\n')}\n${gw.stderr.join('\n')}`;
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(KEY);
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    const exit = await gw.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(gw.stderr.some((line) => line.includes('stopped'))).toBe(true);
  });
});

describe('maven-bot --stream: passive streaming', () => {
  let gw: StartedExample;
  let bot: BotDriver;

  beforeAll(async () => {
    const file = dir.write('maven-stream.json', config({ ...base, allowFrom: [] }));
    gw = await startExample(ENTRY, [
      '--config',
      file,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--stream',
      '--media-base',
      sim.url,
    ]);
    bot = sim.bot({ token: TOKEN, encodingAESKey: KEY });
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('answers with a stream that grows over several refreshes and then finishes', async () => {
    const res = await bot.send(gw.url, 'hello stream');
    expect(res.status).toBe(200);
    expect(res.reply?.msgtype).toBe('stream');
    const first = res.reply!.stream!;
    expect(first.finish).toBe(false);
    const polled = await bot.pollStream(gw.url, first.id!, { intervalMs: 30, maxPolls: 200 });
    expect(polled.finished).toBe(true);
    expect(polled.content).toBe('echo: hello stream');
    const contents = [first.content ?? '', ...polled.frames.map((f) => f.stream?.content ?? '')];
    // Every frame shows a prefix of the next one: the text only grows.
    for (let i = 1; i < contents.length; i++) expect(contents[i]!.startsWith(contents[i - 1]!)).toBe(true);
    expect(new Set(contents).size).toBeGreaterThanOrEqual(2);
    expect(polled.frames.slice(0, -1).every((f) => f.stream?.finish === false)).toBe(true);
    // Streamed passively: nothing went to the response_url.
    expect(sim.responses(res.responseUrl!)).toEqual([]);
  });

  it('streams the image answer too', async () => {
    const url = sim.putMedia(PNG_1X1, { encodingAESKey: KEY, contentType: 'image/png' });
    const res = await bot.send(gw.url, botImage({ url }));
    const polled = await bot.pollStream(gw.url, res.reply!.stream!.id!, { intervalMs: 30, maxPolls: 200 });
    expect(polled.content).toBe(IMAGE_ANSWER);
  });

  it('shuts down on SIGINT with exit code 0', async () => {
    expect(await gw.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('maven-bot: WeCom re-delivers a slow answer; the "success" ack; a strict receiveId', () => {
  const RECEIVE_ID = 'aibot-strict';
  let gw: StartedExample;
  let bot: BotDriver;

  beforeAll(async () => {
    const file = dir.write('maven-slow.json', config({ ...base, receiveId: RECEIVE_ID }));
    gw = await startExample(ENTRY, [
      '--config',
      file,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--ack',
      'success',
      '--ack-delay-ms',
      '400',
    ]);
    bot = sim.bot({ token: TOKEN, encodingAESKey: KEY, receiveId: RECEIVE_ID });
  });

  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('acks re-deliveries without dispatching them again: one reply', async () => {
    // The gateway holds the first delivery 400 ms; the driver re-delivers after 250 ms like WeCom after
    // 5 s: a copy that finds the first still being handled gets 503, one after its answer a 200
    // (up to 6 deliveries, so a slow machine still sees the first answered within them).
    const res = await bot.send(gw.url, 'are you there?', { redeliverAfterMs: 250, maxDeliveries: 6 });
    expect(res.deliveries).toBeGreaterThanOrEqual(2);
    expect(res.status).toBe(200);
    const posted = await sim.waitForResponse(res.responseUrl!);
    expect(posted.body).toEqual({ msgtype: 'markdown', markdown: { content: 'echo: are you there?' } });
    await gw.waitForLine(logLine('reply.delivered', res.message.msgid), { stream: 'stderr' });
    expect(dispatches(gw, res.message.msgid)).toBe(1);
    expect(sim.responses(res.responseUrl!)).toHaveLength(1);
  });

  it('acks with the reference’s encrypted envelope around the JSON string "success"', async () => {
    const res = await bot.send(gw.url, 'ack me', { redeliver: false });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(
      expect.objectContaining({ encrypt: expect.any(String), msgsignature: expect.any(String) }),
    );
    expect(res.reply).toBe('success');
  });

  it('refuses a frame for another receiveId (400) without dispatching it', async () => {
    const other = sim.bot({ token: TOKEN, encodingAESKey: KEY }); // receiveId ''
    const res = await other.send(gw.url, 'wrong receiver', { redeliver: false });
    expect(res.status).toBe(400);
    expect(dispatches(gw, res.message.msgid)).toBe(0);
  });
});

describe('maven-bot: configuration errors', () => {
  it('exit 2 with a clear message, never the token or key; a disabled channel exits 0', async () => {
    const shortKey = KEY.slice(0, 42);
    const badKey = dir.write('bad-key.json', config({ ...base, encodingAESKey: shortKey }));
    const badProxy = dir.write('bad-proxy.json', config({ ...base, proxy: 'ftp://proxy.internal:21' }));
    const badJson = dir.write('bad-json.json', `{"channels":{"wecom":{"token":"${TOKEN}",}}}`);
    const typo = dir.write('typo.json', config({ ...base, encodingAesKey: KEY, encodingAESKey: undefined }));
    const disabled = dir.write('disabled.json', config({ ...base, enabled: false }));
    const [key, proxy, json, misspelt, none, off] = await Promise.all([
      runExample(ENTRY, ['--config', badKey]),
      runExample(ENTRY, ['--config', badProxy]),
      runExample(ENTRY, ['--config', badJson]),
      runExample(ENTRY, ['--config', typo]),
      runExample(ENTRY, [], { env: { MAVEN_CONFIG: '' } }),
      runExample(ENTRY, [], { env: { MAVEN_CONFIG: disabled } }),
    ]);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('encodingAESKey must be exactly 43 characters (got 42)');
    expect(proxy.code).toBe(2);
    expect(proxy.stderr).toContain('channels.wecom.proxy must use http, https, socks5, socks5h (got "ftp")');
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/bad-json\.json is not valid JSON at line 1, column \d+/);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain(
      'channels.wecom.encodingAesKey is not a known field (did you mean "encodingAESKey"?)',
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no config: pass --config FILE or set MAVEN_CONFIG');
    expect(off.code).toBe(0);
    expect(off.stderr).toContain('channels.wecom.enabled is false');
    for (const run of [key, proxy, json, misspelt, none, off]) {
      expect(run.stdout).not.toContain('listening on');
      for (const secret of [TOKEN, KEY, shortKey]) expect(run.stderr).not.toContain(secret);
    }
  });
});
