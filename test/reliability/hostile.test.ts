/**
 * Hostile input against every adapter and both examples (Express, Koa, Hono, node:http and Fastify
 * in the suite's server child; examples/maven-bot and examples/hermes-callback as the processes
 * users run): over 100,000 malformed requests in 40+ classes, generated (bad signatures, mutated
 * ciphertexts, bad padding, absurd lengths, wrong receiveIds, duplicated query parameters, Unicode
 * in nonce and timestamp, Content-Type lies, timestamps far in the past and future, base64 with
 * line breaks, XML billion laughs and external entities, 100k-deep JSON, `__proto__` and
 * `constructor` keys, garbage), and on raw sockets oversized, slow, never-ending chunked and
 * 1-byte-per-100-ms bodies, 3,000 slow-header connections per server and 4 MiB uploads by an
 * ordinary client. Valid bot and app callbacks are sent all along. An example serves one kind of
 * callback (maven-bot the bot's, hermes-callback the app's): every request goes to its one path.
 *
 * Asserted per server: only 4xx answers, each read by the client (refusals read = sent), zero 5xx;
 * every valid callback answered correctly meanwhile; no crash and a clean shutdown; peak RSS within
 * MEMORY_BOUND; the slow-header connections held at once; no token, EncodingAESKey or corpSecret in
 * any line the Express child and the two examples wrote at debug level.
 *
 * The servers run in two waves (the four framework adapters of the benchmarks, then Fastify and
 * the examples): 3,000 held connections per server cost a descriptor each on this side too, and
 * seven servers' worth is over the 20,000 a process may hold here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterName } from '../../bench/lib/frameworks.ts';
import { type StartedExample, startExample } from '../../examples/test-support/child.js';
import { type TempDir, tempDir } from '../../examples/test-support/fixtures.js';
import {
  botText,
  buildAppCallback,
  buildBotCallback,
  decryptAppReply,
  decryptBotReply,
  startWeComSimulator,
  type WeComSimulator,
} from '../../packages/testing/src/index.ts';
import {
  HERMES_CALLBACK,
  hermesConfig,
  MAVEN_BOT,
  mavenBotConfig,
  processFigures,
} from '../replicas/lib/fleet.ts';
import { pollUntil, resultLine, runPool, startServerChild } from './lib/harness.ts';
import { CATEGORIES, hostileRequest } from './lib/hostile.ts';
import { APP, APP_PATH, BOT, BOT_PATH, SECRETS } from './lib/keys.ts';
import { seeded } from './lib/random.ts';
import { createFloodClient, ordinaryUpload, rawRequest, slowHeaders } from './lib/raw-http.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

type Kind = 'bot' | 'app';
type TargetName = AdapterName | 'maven-bot' | 'hermes-callback';
interface Target {
  name: TargetName;
  /** The callbacks it serves (an example serves one kind). */
  serves: readonly Kind[];
  /** The suite's child replies passively; the examples reply through response_url and message/send. */
  answers: 'passive' | 'active';
  wave: 1 | 2;
}
const BOTH: readonly Kind[] = ['bot', 'app'];
const TARGETS: readonly Target[] = [
  { name: 'express', serves: BOTH, answers: 'passive', wave: 1 },
  { name: 'koa', serves: BOTH, answers: 'passive', wave: 1 },
  { name: 'hono', serves: BOTH, answers: 'passive', wave: 1 },
  { name: 'node', serves: BOTH, answers: 'passive', wave: 1 },
  { name: 'fastify', serves: BOTH, answers: 'passive', wave: 2 },
  { name: 'maven-bot', serves: ['bot'], answers: 'active', wave: 2 },
  { name: 'hermes-callback', serves: ['app'], answers: 'active', wave: 2 },
];
/** The servers whose every log line (debug level) is searched for the secrets. */
const DEBUG_LOGGED: readonly TargetName[] = ['express', 'maven-bot', 'hermes-callback'];
/** Generated requests per server: 7 × 12,000 = 84,000, plus 7 × 3,090 on raw sockets: 105,630. */
const FLOOD = 12_000;
const CONCURRENCY = 32;
/** Slow-header connections held against each server at once. */
const SLOW_HEADERS = 3_000;
/** One valid callback of each kind the server serves every VALID_EVERY generated requests. */
const VALID_EVERY = 500;
/** Peak resident memory each server process must stay under (3,000 held connections included). */
const MEMORY_BOUND = 384 * 1024 * 1024;

/** What a server process reported (the suite's child) or what was read of it from outside (an example). */
interface Figures {
  /** Replies delivered: the child's `reply.delivered` events; an example's replies WeCom received. */
  delivered: number;
  /** Replies started and never ended (the child's count; an example's valid callbacks left unanswered). */
  pending: number;
  maxRss: number;
  peakConnections: number;
  cpuMs: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
}

/** A server under attack: its port, the path of each kind, and how to stop it and read its figures. */
interface Running {
  port: number;
  pathOf(kind: Kind): string;
  /** Stops it (SIGTERM, graceful) and returns its exit, every line it wrote and its figures. */
  stop(): Promise<{
    exit: { code: number | null; signal: NodeJS.Signals | null };
    lines: string[];
    figures: Figures | undefined;
  }>;
}

let sim: WeComSimulator;
let dir: TempDir;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
  dir = tempDir('reliability-hostile-');
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

async function startAdapter(adapter: AdapterName): Promise<Running> {
  const child = await startServerChild({
    adapter,
    apiBase: sim.url,
    logLevel: DEBUG_LOGGED.includes(adapter) ? 'debug' : 'error',
    // Long enough that all 3,000 slow-header connections are open before the first is cut, on a
    // busy machine too (the examples keep their own 10 s); cut within a second of it (SERVER_OPTIONS).
    headersTimeoutMs: 20_000,
  });
  return {
    port: child.port,
    pathOf: (kind) => (kind === 'bot' ? BOT_PATH : APP_PATH),
    async stop() {
      const exit = await child.stop(15_000);
      const final = resultLine(child.lines);
      return {
        exit,
        lines: child.lines,
        figures: final && {
          delivered: Object.values(final.bot.delivered)
            .concat(Object.values(final.app.delivered))
            .reduce((a, b) => a + b, 0),
          pending: final.bot.pending + final.app.pending,
          maxRss: final.memory.maxRss,
          peakConnections: final.peakConnections,
          cpuMs: final.cpuMs,
          unhandledRejections: final.unhandledRejections,
          uncaughtExceptions: final.uncaughtExceptions,
        },
      };
    },
  };
}

/**
 * An example as users run it (`node --import tsx examples/<name>/src/main.ts`), with the suite's
 * credentials, its own defaults (header timeout, caps) and debug logging. Read from outside:
 * memory and CPU from /proc, connections as the descriptors it holds above its idle count, sampled
 * while the attack runs; crashes as an exit other than 0 or a fatal/unhandled line.
 */
async function startExampleTarget(name: 'maven-bot' | 'hermes-callback'): Promise<Running> {
  let child: StartedExample;
  if (name === 'maven-bot') {
    const config = dir.write(
      'maven.json',
      mavenBotConfig({ token: BOT.token, encodingAESKey: BOT.encodingAESKey, aibotId: BOT.aibotid }),
    );
    child = await startExample(
      MAVEN_BOT,
      ['--config', config, '--host', '127.0.0.1', '--port', '0', '--log-level', 'debug'],
      { timeoutMs: 60_000 },
    );
  } else {
    const config = dir.write('config.yaml', hermesConfig([APP]));
    child = await startExample(
      HERMES_CALLBACK,
      ['--config', config, '--port', '0', '--api-base', sim.url, '--log-level', 'debug'],
      { env: { WECOM_CALLBACK_ALLOW_ALL_USERS: 'true' }, timeoutMs: 60_000 },
    );
  }
  const path = new URL(child.url).pathname;
  const idle = processFigures(child).fds;
  let peakFds = idle;
  const sampler = setInterval(() => {
    peakFds = Math.max(peakFds, processFigures(child).fds);
  }, 200);
  return {
    port: Number(new URL(child.url).port),
    pathOf: () => path,
    async stop() {
      clearInterval(sampler);
      const { maxRss, cpuMs } = processFigures(child);
      const exit = await child.stop('SIGTERM');
      const lines = [...child.stdout, ...child.stderr];
      const fatal = (pattern: RegExp) => lines.filter((l) => pattern.test(l)).length;
      return {
        exit,
        lines,
        figures: {
          delivered: 0,
          pending: 0,
          maxRss,
          peakConnections: peakFds - idle,
          cpuMs,
          unhandledRejections: fatal(/unhandled/i),
          uncaughtExceptions: fatal(/uncaught|fatal:/i),
        },
      };
    },
  };
}

/** Requests no client library would send, on raw sockets (all must be refused with a 4xx). */
function rawCases(
  port: number,
  pathOf: (kind: Kind) => string,
): { category: string; run: () => Promise<number> }[] {
  const query = 'msg_signature=abc&timestamp=1&nonce=1';
  const cases: { category: string; run: () => Promise<number> }[] = [];
  for (let i = 0; i < 10; i++) {
    // Slow body: half of it, then nothing. The server must give up (408), not wait forever.
    cases.push({
      category: 'raw: slow body',
      run: () =>
        rawRequest({
          port,
          head: `POST ${pathOf(i % 2 ? 'bot' : 'app')}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000`,
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
          head: `POST ${pathOf(i % 2 ? 'bot' : 'app')}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${i % 4 < 2 ? '99999999999' : String(2 ** 31 + i)}`,
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
          head: `POST ${pathOf(bot ? 'bot' : 'app')}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${parts.length * filler.length}`}`,
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
              ? `POST ${pathOf('bot')}?${query} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`
              : `POST ${pathOf('app')}?${query} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked`,
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
          head: `POST ${pathOf(i % 2 ? 'bot' : 'app')}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
          parts: Array.from({ length: 80 }, () => ({ data: '5\r\nhello\r\n', pauseMs: 500 })),
          timeoutMs: 40_000,
        }),
    });
    cases.push({
      category: 'raw: 1 byte per 100 ms',
      run: () =>
        rawRequest({
          port,
          head: `POST ${pathOf(i % 2 ? 'bot' : 'app')}?${query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000`,
          parts: Array.from({ length: 1000 }, () => ({ data: 'x', pauseMs: 100 })),
          timeoutMs: 40_000,
        }),
    });
    cases.push({
      category: 'raw: 4 MiB body, ordinary client',
      run: () => ordinaryUpload(port, `${pathOf(i % 2 ? 'bot' : 'app')}?${query}`, 4 * 1024 * 1024),
    });
  }
  for (let i = 0; i < SLOW_HEADERS; i++) {
    cases.push({
      category: 'raw: slow headers',
      run: () => slowHeaders(port, `${pathOf(i % 2 ? 'bot' : 'app')}?${query}`, 4000, 45_000),
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
  const content = `p|0|valid ${appMsgId}`;
  const callback = buildAppCallback({
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
    corpId: APP.corpId,
    agentId: APP.agentId,
    message: `<xml><ToUserName><![CDATA[wwreliability01]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${appMsgId}</MsgId><AgentID>1000002</AgentID></xml>`,
  });
  return { ...callback, content };
}

interface TargetRun {
  sent: number;
  statuses: Record<string, number>;
  byCategory: Record<string, Record<string, number>>;
  /** Refusals sent (every hostile request) and those whose 4xx the client read. */
  refusalsRead: number;
  valid: { sent: number; answered: number; wrong: string[] };
  figures: Figures | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  lines: string[];
}

/** The example's active replies, once the attack is over: exactly one per valid callback. */
async function settleActive(run: TargetRun, responseUrls: string[], contents: string[]): Promise<void> {
  const repliesTo = (content: string) =>
    sim
      .messages()
      .filter((m) => (m.body as { text?: { content?: string } }).text?.content === `echo: ${content}`).length;
  const counts = () => [...responseUrls.map((url) => sim.responses(url).length), ...contents.map(repliesTo)];
  const final = await pollUntil(
    async () => counts(),
    (list) => list.every((n) => n > 0),
    20_000,
  );
  for (const [i, n] of final.entries()) {
    if (n === 1) run.valid.answered++;
    else run.valid.wrong.push(`${i < responseUrls.length ? 'bot' : 'app'}: ${n} replies`);
  }
}

async function attack(target: Target, server: Running): Promise<TargetRun> {
  const run: TargetRun = {
    sent: 0,
    statuses: {},
    byCategory: {},
    refusalsRead: 0,
    valid: { sent: 0, answered: 0, wrong: [] },
    figures: undefined,
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
  const client = createFloodClient(server.port, CONCURRENCY);
  const responseUrls: string[] = [];
  const contents: string[] = [];
  const checkBot = async () => {
    const bot = validBot();
    run.valid.sent++;
    const res = await client.send(
      'POST',
      `${server.pathOf('bot')}${bot.search}`,
      { 'content-type': 'application/json' },
      bot.body,
    );
    if (res.status !== 200) run.valid.wrong.push(`bot ${res.status}`);
    else if (target.answers === 'active') responseUrls.push(bot.message.response_url!);
    else {
      const reply = decryptBotReply(res.body, {
        token: BOT.token,
        encodingAESKey: BOT.encodingAESKey,
        expectNonce: bot.nonce,
      });
      if (reply?.msgtype === 'stream' && reply.stream?.finish === true) run.valid.answered++;
      else run.valid.wrong.push(`bot ${res.status}: ${reply?.msgtype ?? 'no reply'}`);
    }
  };
  const checkApp = async () => {
    const app = validApp();
    run.valid.sent++;
    const res = await client.send(
      'POST',
      `${server.pathOf('app')}${app.search}`,
      { 'content-type': 'text/xml' },
      app.body,
    );
    if (res.status !== 200) run.valid.wrong.push(`app ${res.status}`);
    else if (target.answers === 'active') contents.push(app.content);
    else {
      const reply = decryptAppReply(res.body, {
        token: APP.token,
        encodingAESKey: APP.encodingAESKey,
        corpId: APP.corpId,
      })?.message as { MsgType?: string } | null | undefined;
      if (reply?.MsgType === 'text') run.valid.answered++;
      else run.valid.wrong.push(`app ${res.status}: ${reply?.MsgType ?? 'no reply'}`);
    }
  };
  const checkValid = () =>
    Promise.all(target.serves.map((kind) => (kind === 'bot' ? checkBot() : checkApp())));
  // Every request goes to a path the server serves (an example has one).
  const own = (path: string) =>
    target.serves.length === 2
      ? path
      : path.replace(/^\/wecom\/(bot|callback)/, server.pathOf(target.serves[0]!));
  const raw = rawCases(server.port, server.pathOf);
  const rawDone = Promise.all(raw.map(async (c) => count(c.category, await c.run())));
  const seedBase = TARGETS.indexOf(target) * 1_000_003;
  await runPool(FLOOD, CONCURRENCY, async (i) => {
    if (i % VALID_EVERY === 0) await checkValid();
    const req = hostileRequest(i, seeded((seedBase + i) * 7919 + 13));
    const res = await client.send(req.method, own(req.path), req.headers, req.body);
    count(req.category, res.status);
  });
  // Valid callbacks while the slow connections are still held.
  await checkValid();
  await rawDone;
  await checkValid();
  client.close();
  if (target.answers === 'active') await settleActive(run, responseUrls, contents);
  const stopped = await server.stop();
  run.exit = stopped.exit;
  run.lines = stopped.lines;
  run.figures = stopped.figures;
  const f = run.figures;
  const delivered = target.answers === 'active' ? run.valid.answered : (f?.delivered ?? 0);
  recordSummary({
    scenario: `3 hostile input: ${target.name}`,
    sent: run.sent,
    statuses: run.statuses,
    delivered,
    failed: 0,
    lost: target.answers === 'active' ? run.valid.sent - run.valid.answered : (f?.pending ?? 0),
    peakRss: f?.maxRss ?? 0,
    refusalsRead: run.refusalsRead,
    refusalsSent: run.sent,
    peakConnections: f?.peakConnections ?? 0,
    notes: `server CPU ${((f?.cpuMs ?? 0) / 1000).toFixed(1)} s; ${CATEGORIES.length + RAW_CATEGORIES.length} classes; ${run.valid.answered}/${run.valid.sent} valid callbacks answered during the attack (they are the replies delivered)${DEBUG_LOGGED.includes(target.name) ? `; ${run.lines.length.toLocaleString('en-US')} debug log lines checked for secrets` : ''}`,
  });
  return run;
}

const runs = new Map<TargetName, TargetRun>();

describe('hostile input against every adapter and both examples', () => {
  beforeAll(async () => {
    for (const wave of [1, 2]) {
      const targets = TARGETS.filter((t) => t.wave === wave);
      const servers = await Promise.all(
        targets.map((t) =>
          t.name === 'maven-bot' || t.name === 'hermes-callback'
            ? startExampleTarget(t.name)
            : startAdapter(t.name),
        ),
      );
      const results = await Promise.all(targets.map((t, i) => attack(t, servers[i]!)));
      for (const [i, t] of targets.entries()) runs.set(t.name, results[i]!);
    }
  }, 400_000);

  it(`sent over 100,000 hostile requests in total, in at least 40 classes`, () => {
    const total = [...runs.values()].reduce((n, r) => n + r.sent, 0);
    expect(total).toBeGreaterThanOrEqual(100_000);
    expect(CATEGORIES.length + RAW_CATEGORIES.length).toBeGreaterThanOrEqual(40);
  });

  for (const target of TARGETS) {
    describe(target.name, () => {
      const run = () => runs.get(target.name)!;

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
        expect(run().valid.sent).toBeGreaterThanOrEqual(target.serves.length * (FLOOD / VALID_EVERY));
      });

      it(`did not crash, shut down cleanly, and stayed under ${MEMORY_BOUND / 1024 / 1024} MB RSS`, () => {
        expect(run().exit.code).toBe(0);
        expect(run().figures?.unhandledRejections).toBe(0);
        expect(run().figures?.uncaughtExceptions).toBe(0);
        expect(run().figures?.maxRss).toBeGreaterThan(0);
        expect(run().figures?.maxRss).toBeLessThan(MEMORY_BOUND);
        // The slow-header connections were really held at once.
        expect(run().figures?.peakConnections).toBeGreaterThanOrEqual(SLOW_HEADERS);
      });
    });
  }

  for (const name of DEBUG_LOGGED) {
    it(`wrote no secret in any log line (${name}, debug level)`, () => {
      const lines = runs.get(name)!.lines;
      // The check is only worth something if the server did log the refusals.
      expect(lines.length).toBeGreaterThan(500);
      const forms = SECRETS.flatMap((s) => [s, encodeURIComponent(s)]);
      const leaks = lines.filter((line) => forms.some((secret) => line.includes(secret)));
      expect(leaks.slice(0, 5)).toEqual([]);
    });
  }
});
