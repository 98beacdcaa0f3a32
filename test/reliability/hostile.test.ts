/**
 * Hostile input against every adapter at once (Express, Koa, Hono, node:http, each in its own
 * child process): over 100,000 generated malformed requests in 40+ classes (bad signatures,
 * mutated ciphertexts, bad padding, absurd lengths, wrong receiveIds, duplicated query parameters,
 * Unicode in nonce and timestamp, Content-Type lies, timestamps far in the past and future, base64
 * with line breaks, XML billion laughs and external entities, 100k-deep JSON, `__proto__` and
 * `constructor` keys, garbage), and on raw sockets oversized, slow, never-ending chunked and
 * 1-byte-per-100-ms bodies, 3,000 slow-header connections per server and 4 MiB uploads by an
 * ordinary client. Valid bot and app callbacks are sent all along.
 *
 * Asserted per adapter: only 4xx answers, each read by the client (refusals read = sent), zero 5xx;
 * every valid callback answered correctly meanwhile; no crash; peak RSS within MEMORY_BOUND; no
 * token, EncodingAESKey or corpSecret in any line the Express child wrote at debug level.
 *
 * Fastify (packages/fastify, `wecomFastify`) is served by lib/serve-fastify.ts but not yet in
 * ADAPTERS (see there). The examples (maven-bot, hermes-callback) are not in this file yet.
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
import { createFloodClient, ordinaryUpload, rawRequest, slowHeaders } from './lib/raw-http.ts';
import type { ReliabilityAdapter as AdapterName } from './lib/serve-fastify.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

// 'fastify' is served (lib/serve-fastify.ts, server-child.ts) but not in this list yet: with it the
// attack did not finish within the 190 s hook on a machine at load 14-19; to be measured alone.
const ADAPTERS: AdapterName[] = ['express', 'koa', 'hono', 'node'];
/** Generated requests per adapter: 4 × 25,000 = 100,000, plus the raw-socket ones. */
const FLOOD = 25_000;
const CONCURRENCY = 32;
/** Slow-header connections held against each server at once. */
const SLOW_HEADERS = 3_000;
/** One valid bot and one valid app callback every VALID_EVERY generated requests. */
const VALID_EVERY = 500;
/** Peak resident memory each server child must stay under (3,000 held connections included). */
const MEMORY_BOUND = 384 * 1024 * 1024;

let sim: WeComSimulator;
const children = new Map<AdapterName, ServerChild>();

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
  const started = await Promise.all(
    ADAPTERS.map((adapter) =>
      startServerChild({
        adapter,
        apiBase: sim.url,
        logLevel: adapter === 'express' ? 'debug' : 'error',
        headersTimeoutMs: 5_000,
      }),
    ),
  );
  for (const [i, adapter] of ADAPTERS.entries()) children.set(adapter, started[i]!);
});

afterAll(async () => {
  await Promise.all([...children.values()].map((child) => child.stop()));
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
  for (let i = 0; i < 10; i++) {
    // Chunks every 500 ms, never the last one: the body timeout must end it.
    cases.push({
      category: 'raw: chunked body that never ends',
      run: () =>
        rawRequest({
          port,
          head: `POST ${i % 2 ? BOT_PATH : APP_PATH}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
          parts: Array.from({ length: 80 }, () => ({ data: '5\r\nhello\r\n', pauseMs: 500 })),
          timeoutMs: 40_000,
        }),
    });
    cases.push({
      category: 'raw: 1 byte per 100 ms',
      run: () =>
        rawRequest({
          port,
          head: `POST ${i % 2 ? BOT_PATH : APP_PATH}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000`,
          parts: Array.from({ length: 1000 }, () => ({ data: 'x', pauseMs: 100 })),
          timeoutMs: 40_000,
        }),
    });
    cases.push({
      category: 'raw: 4 MiB body, ordinary client',
      run: () => ordinaryUpload(port, `${i % 2 ? BOT_PATH : APP_PATH}?${query}`, 4 * 1024 * 1024),
    });
  }
  for (let i = 0; i < SLOW_HEADERS; i++) {
    cases.push({
      category: 'raw: slow headers',
      run: () => slowHeaders(port, `${i % 2 ? BOT_PATH : APP_PATH}?${query}`, 4000, 45_000),
    });
  }
  return cases;
}

const RAW_CATEGORIES = [
  'raw: slow body',
  'raw: absurd Content-Length',
  'raw: oversized body',
  'raw: oversized chunked body',
  'raw: malformed HTTP framing',
  'raw: chunked body that never ends',
  'raw: 1 byte per 100 ms',
  'raw: 4 MiB body, ordinary client',
  'raw: slow headers',
];

function validBot() {
  const cb = buildBotCallback({
    token: BOT.token,
    encodingAESKey: BOT.encodingAESKey,
    message: botText({ content: 'p|0|valid', aibotid: BOT.aibotid, responseUrl: sim.createResponseUrl() }),
  });
  return cb;
}

let appMsgId = 7_200_000_000_000_000_000n;
function validApp() {
  appMsgId++;
  return buildAppCallback({
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
    corpId: APP.corpId,
    agentId: APP.agentId,
    message: `<xml><ToUserName><![CDATA[wwreliability01]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[p|0|valid]]></Content><MsgId>${appMsgId}</MsgId><AgentID>1000002</AgentID></xml>`,
  });
}

interface AdapterRun {
  sent: number;
  statuses: Record<string, number>;
  byCategory: Record<string, Record<string, number>>;
  /** Refusals sent (every hostile request) and those whose 4xx the client read. */
  refusalsRead: number;
  valid: { sent: number; answered: number; wrong: string[] };
  final: ChildStats | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  lines: string[];
}

async function attack(adapter: AdapterName, child: ServerChild): Promise<AdapterRun> {
  const run: AdapterRun = {
    sent: 0,
    statuses: {},
    byCategory: {},
    refusalsRead: 0,
    valid: { sent: 0, answered: 0, wrong: [] },
    final: undefined,
    exit: { code: null, signal: null },
    lines: [],
  };
  const count = (category: string, status: number) => {
    run.sent++;
    if (status >= 400 && status < 500) run.refusalsRead++;
    countStatus(run.statuses, status);
    run.byCategory[category] ??= {};
    countStatus(run.byCategory[category], status);
  };
  const client = createFloodClient(child.port, CONCURRENCY);
  const checkValid = async () => {
    const bot = validBot();
    const app = validApp();
    run.valid.sent += 2;
    const [botRes, appRes] = await Promise.all([
      client.send('POST', `${BOT_PATH}${bot.search}`, { 'content-type': 'application/json' }, bot.body),
      client.send('POST', `${APP_PATH}${app.search}`, { 'content-type': 'text/xml' }, app.body),
    ]);
    const botReply =
      botRes.status === 200
        ? decryptBotReply(botRes.body, {
            token: BOT.token,
            encodingAESKey: BOT.encodingAESKey,
            expectNonce: bot.nonce,
          })
        : null;
    if (botReply?.msgtype === 'stream' && botReply.stream?.finish === true) run.valid.answered++;
    else run.valid.wrong.push(`bot ${botRes.status}`);
    const appReply =
      appRes.status === 200
        ? decryptAppReply(appRes.body, {
            token: APP.token,
            encodingAESKey: APP.encodingAESKey,
            corpId: APP.corpId,
          })?.message
        : null;
    if ((appReply as { MsgType?: string } | null | undefined)?.MsgType === 'text') run.valid.answered++;
    else run.valid.wrong.push(`app ${appRes.status}`);
  };
  const raw = rawCases(child.port);
  const rawDone = Promise.all(raw.map(async (c) => count(c.category, await c.run())));
  const seedBase = ADAPTERS.indexOf(adapter) * 1_000_003;
  await runPool(FLOOD, CONCURRENCY, async (i) => {
    if (i % VALID_EVERY === 0) await checkValid();
    const req = hostileRequest(i, seeded((seedBase + i) * 7919 + 13));
    const res = await client.send(req.method, req.path, req.headers, req.body);
    count(req.category, res.status);
  });
  // Valid callbacks while the slow connections are still held.
  await checkValid();
  await rawDone;
  await checkValid();
  client.close();
  run.exit = await child.stop(15_000);
  run.lines = child.lines;
  run.final = resultLine(run.lines);
  const final = run.final;
  recordSummary({
    scenario: `3 hostile input: ${adapter}`,
    sent: run.sent,
    statuses: run.statuses,
    delivered: (final
      ? Object.values(final.bot.delivered).concat(Object.values(final.app.delivered))
      : []
    ).reduce((a, b) => a + b, 0),
    failed: 0,
    lost: final ? final.bot.pending + final.app.pending : 0,
    peakRss: final?.memory.maxRss ?? 0,
    refusalsRead: run.refusalsRead,
    refusalsSent: run.sent,
    peakConnections: final?.peakConnections ?? 0,
    notes: `server CPU ${((final?.cpuMs ?? 0) / 1000).toFixed(1)} s; ${CATEGORIES.length + RAW_CATEGORIES.length} classes; ${run.valid.answered}/${run.valid.sent} valid callbacks answered during the attack (they are the replies delivered)${adapter === 'express' ? `; ${run.lines.length.toLocaleString('en-US')} debug log lines checked for secrets` : ''}`,
  });
  return run;
}

const runs = new Map<AdapterName, AdapterRun>();

describe('hostile input against every adapter', () => {
  beforeAll(async () => {
    const results = await Promise.all(ADAPTERS.map((adapter) => attack(adapter, children.get(adapter)!)));
    for (const [i, adapter] of ADAPTERS.entries()) runs.set(adapter, results[i]!);
  }, 190_000);

  it(`sent over 100,000 hostile requests in total, in at least 40 classes`, () => {
    const total = [...runs.values()].reduce((n, r) => n + r.sent, 0);
    expect(total).toBeGreaterThanOrEqual(100_000);
    expect(CATEGORIES.length + RAW_CATEGORIES.length).toBeGreaterThanOrEqual(40);
  });

  for (const adapter of ADAPTERS) {
    describe(adapter, () => {
      const run = () => runs.get(adapter)!;

      it('sent every class', () => {
        for (const category of [...CATEGORIES, ...RAW_CATEGORIES])
          expect(run().byCategory[category], category).toBeDefined();
      });

      it('answered every one with a 4xx: no 5xx, no request left unanswered', () => {
        const bad = Object.entries(run().byCategory).flatMap(([category, s]) =>
          Object.keys(s)
            .filter((status) => !(Number(status) >= 400 && Number(status) < 500))
            .map((status) => `${category} → ${status === '0' ? 'no answer read' : status} ×${s[status]}`),
        );
        expect(bad).toEqual([]);
      });

      it('every refusal was read by the client (refusals read = sent)', () => {
        expect(run().refusalsRead).toBe(run().sent);
      });

      it('answered every valid callback correctly while under attack', () => {
        expect(run().valid.wrong).toEqual([]);
        expect(run().valid.answered).toBe(run().valid.sent);
        expect(run().valid.sent).toBeGreaterThanOrEqual(2 * (FLOOD / VALID_EVERY));
      });

      it(`did not crash, shut down cleanly, and stayed under ${MEMORY_BOUND / 1024 / 1024} MB RSS`, () => {
        expect(run().exit.code).toBe(0);
        expect(run().final?.unhandledRejections).toBe(0);
        expect(run().final?.uncaughtExceptions).toBe(0);
        expect(run().final?.memory.maxRss).toBeGreaterThan(0);
        expect(run().final?.memory.maxRss).toBeLessThan(MEMORY_BOUND);
        // The slow-header connections were really held at once.
        expect(run().final?.peakConnections).toBeGreaterThanOrEqual(SLOW_HEADERS);
      });
    });
  }

  it('wrote no secret in any log line (Express child, debug level)', () => {
    const lines = runs.get('express')!.lines;
    // The check is only worth something if the server did log the refusals.
    expect(lines.length).toBeGreaterThan(1000);
    const forms = SECRETS.flatMap((s) => [s, encodeURIComponent(s)]);
    const leaks = lines.filter((line) => forms.some((secret) => line.includes(secret)));
    expect(leaks.slice(0, 5)).toEqual([]);
  });
});
