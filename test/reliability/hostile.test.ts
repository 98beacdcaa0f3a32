/**
 * Hostile input: over 100,000 generated malformed requests (bad signatures, mutated ciphertexts,
 * bad padding, absurd lengths, wrong receiveIds, XML with entities/DOCTYPE, deep or huge JSON and
 * XML, `__proto__` keys, garbage, oversized and slow bodies, absurd Content-Length) against Express
 * in a child process whose loggers write at debug level.
 *
 * Asserted: only 4xx answers (counted by status), zero 5xx, every request answered; the child is
 * alive at the end and still answers valid bot and app callbacks correctly; no token,
 * EncodingAESKey or corpSecret in any line it wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  botText,
  buildAppCallback,
  buildBotCallback,
  decryptAppReply,
  decryptBotReply,
  startWeComSimulator,
  type WeComSimulator,
} from '../../packages/testing/src/index.ts';
import { type ChildStats, resultLine, runPool, type ServerChild, startServerChild } from './lib/harness.ts';
import { CATEGORIES, hostileRequest } from './lib/hostile.ts';
import { APP, APP_PATH, BOT, BOT_PATH, SECRETS } from './lib/keys.ts';
import { seeded } from './lib/random.ts';
import { createFloodClient, rawRequest } from './lib/raw-http.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

const FLOOD = 100_000;
const CONCURRENCY = 64;

let sim: WeComSimulator;
let child: ServerChild;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
  child = await startServerChild({ adapter: 'express', apiBase: sim.url, logLevel: 'debug' });
});

afterAll(async () => {
  await child?.stop();
  await sim?.close();
});

/** Requests no client library would send, on raw sockets (all must be refused with a 4xx). */
function rawCases(port: number): { category: string; run: () => Promise<number> }[] {
  const query = 'msg_signature=abc&timestamp=1&nonce=1';
  const cases: { category: string; run: () => Promise<number> }[] = [];
  for (let i = 0; i < 10; i++) {
    // Slow body: half of it, then nothing. The server must give up (408), not wait forever.
    cases.push({
      category: 'raw: slow body',
      run: () =>
        rawRequest({
          port,
          head: `POST ${i % 2 ? BOT_PATH : APP_PATH}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000`,
          parts: [{ data: '{"encrypt":"' }, { data: 'abc', pauseMs: 500 }],
          timeoutMs: 40_000,
        }),
    });
  }
  for (let i = 0; i < 20; i++) {
    cases.push({
      category: 'raw: absurd Content-Length',
      run: () =>
        rawRequest({
          port,
          head: `POST ${i % 2 ? BOT_PATH : APP_PATH}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${i % 4 < 2 ? '99999999999' : String(2 ** 31 + i)}`,
          parts: [{ data: '{"encrypt":"abc"}' }],
        }),
    });
  }
  for (let i = 0; i < 20; i++) {
    const bot = i % 2 === 0;
    const size = bot ? 1024 * 1024 + 4096 : 64 * 1024 + 4096;
    const chunked = i % 4 >= 2;
    const filler = Buffer.alloc(64 * 1024, 'x');
    const parts: { data: Buffer | string }[] = [];
    for (let sent = 0; sent < size; sent += filler.length) {
      parts.push({
        data: chunked
          ? Buffer.concat([Buffer.from(`${filler.length.toString(16)}\r\n`), filler, Buffer.from('\r\n')])
          : filler,
      });
    }
    if (chunked) parts.push({ data: '0\r\n\r\n' });
    cases.push({
      category: chunked ? 'raw: oversized chunked body' : 'raw: oversized body',
      run: () =>
        rawRequest({
          port,
          head: `POST ${bot ? BOT_PATH : APP_PATH}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${parts.length * filler.length}`}`,
          parts,
        }),
    });
  }
  for (let i = 0; i < 10; i++) {
    cases.push({
      category: 'raw: malformed HTTP framing',
      run: () =>
        rawRequest({
          port,
          head:
            i % 2
              ? `POST ${BOT_PATH}?${query} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`
              : `POST ${APP_PATH}?${query} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked`,
          parts: [{ data: i % 2 ? '0\r\n\r\n' : 'zz-not-hex\r\nabc\r\n' }],
        }),
    });
  }
  return cases;
}

describe('hostile input', () => {
  const statuses: Record<string, number> = {};
  const byCategory: Record<string, Record<string, number>> = {};
  let sent = 0;
  let final: ChildStats | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  let valid: { bot: unknown; app: unknown; botStatus: number; appStatus: number };
  let lines: string[];

  const count = (category: string, status: number) => {
    sent++;
    countStatus(statuses, status);
    byCategory[category] ??= {};
    countStatus(byCategory[category], status);
  };

  beforeAll(async () => {
    const raw = rawCases(child.port);
    const rawDone = Promise.all(raw.map(async (c) => count(c.category, await c.run())));
    const client = createFloodClient(child.port, CONCURRENCY);
    await runPool(FLOOD, CONCURRENCY, async (i) => {
      const req = hostileRequest(i, seeded(i * 7919 + 13));
      const res = await client.send(req.method, req.path, req.headers, req.body);
      count(req.category, res.status);
    });
    await rawDone;
    // Still alive and still correct: one valid callback of each kind.
    const botCb = buildBotCallback({
      token: BOT.token,
      encodingAESKey: BOT.encodingAESKey,
      message: botText({ content: 'p|0|valid', aibotid: BOT.aibotid, responseUrl: sim.createResponseUrl() }),
    });
    const botRes = await client.send(
      'POST',
      `${BOT_PATH}${botCb.search}`,
      { 'content-type': 'application/json' },
      botCb.body,
    );
    const appCb = buildAppCallback({
      token: APP.token,
      encodingAESKey: APP.encodingAESKey,
      corpId: APP.corpId,
      agentId: APP.agentId,
      message:
        '<xml><ToUserName><![CDATA[wwreliability01]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[p|0|valid]]></Content><MsgId>7000000000000000001</MsgId><AgentID>1000002</AgentID></xml>',
    });
    const appRes = await client.send(
      'POST',
      `${APP_PATH}${appCb.search}`,
      { 'content-type': 'text/xml' },
      appCb.body,
    );
    client.close();
    valid = {
      botStatus: botRes.status,
      appStatus: appRes.status,
      bot:
        botRes.status === 200
          ? decryptBotReply(botRes.body, {
              token: BOT.token,
              encodingAESKey: BOT.encodingAESKey,
              expectNonce: botCb.nonce,
            })
          : null,
      app:
        appRes.status === 200
          ? decryptAppReply(appRes.body, {
              token: APP.token,
              encodingAESKey: APP.encodingAESKey,
              corpId: APP.corpId,
            })?.message
          : null,
    };
    exit = await child.stop(15_000);
    lines = child.lines;
    final = resultLine(lines);
    recordSummary({
      scenario: '3 hostile input (malformed requests)',
      sent,
      statuses,
      delivered: (final
        ? Object.values(final.bot.delivered).concat(Object.values(final.app.delivered))
        : []
      ).reduce((a, b) => a + b, 0),
      failed: 0,
      lost: final ? final.bot.pending + final.app.pending : 0,
      peakRss: final?.memory.maxRss ?? 0,
      notes: `server CPU ${((final?.cpuMs ?? 0) / 1000).toFixed(1)} s, test process CPU ${(process.cpuUsage().user / 1e6).toFixed(1)} s; ${CATEGORIES.length + 5} categories; ${lines.length.toLocaleString('en-US')} log lines checked for secrets; the 2 replies are the valid callbacks sent after the flood`,
    });
  }, 150_000);

  it('sent over 100,000 malformed requests of every category', () => {
    expect(sent).toBeGreaterThanOrEqual(FLOOD);
    for (const category of CATEGORIES) expect(byCategory[category], category).toBeDefined();
  });

  it('answered every one with a 4xx: no 5xx, no request left unanswered', () => {
    const bad = Object.entries(byCategory).flatMap(([category, s]) =>
      Object.keys(s)
        .filter((status) => !(Number(status) >= 400 && Number(status) < 500))
        .map((status) => `${category} → ${status === '0' ? 'no answer' : status} ×${s[status]}`),
    );
    expect(bad).toEqual([]);
  });

  it('did not crash: the server answered valid callbacks afterwards and shut down cleanly', () => {
    expect(valid.botStatus).toBe(200);
    expect(valid.bot).toMatchObject({ msgtype: 'stream', stream: { finish: true } });
    expect(valid.appStatus).toBe(200);
    expect(valid.app).toMatchObject({ MsgType: 'text' });
    expect(exit.code).toBe(0);
    expect(final?.unhandledRejections).toBe(0);
    expect(final?.uncaughtExceptions).toBe(0);
  });

  it('wrote no secret in any log line (debug level)', () => {
    // The check is only worth something if the server did log the refusals.
    expect(lines.length).toBeGreaterThan(1000);
    const forms = SECRETS.flatMap((s) => [s, encodeURIComponent(s)]);
    const leaks = lines.filter((line) => forms.some((secret) => line.includes(secret)));
    expect(leaks.slice(0, 5)).toEqual([]);
  });
});
