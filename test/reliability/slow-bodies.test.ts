/**
 * 500 slow-body connections against the bot on node:http (toNodeListener), defaults unchanged:
 * `maxConcurrent` 512 (a body being read holds a slot), `bodyTimeoutMs` 10 s (the child sets no
 * other). Each connection sends the head of a real signed bot POST with its true Content-Length,
 * then the body one byte per 100 ms, so none can finish before the body timeout. While all 500
 * are trickling, 200 normal signed bot callbacks (8 at a time, a keep-alive node:http client).
 *
 * Asserted: every normal callback answered 200 with a passive reply that verifies, decrypts and is
 * the listener's (a finished stream `reply to <msgid>`); the child's RSS, sampled before and all
 * through, grows less than RSS_GROWTH_BOUND; every slow connection ended with an answer it read
 * (408, or 200 had its body completed) or was closed by the server: no 5xx, none left open.
 * Counts and bounds only, no time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BotReply,
  botText,
  buildBotCallback,
  decryptBotReply,
  startWeComSimulator,
  type WeComSimulator,
} from '../../packages/testing/src/index.ts';
import {
  type ChildStats,
  pollUntil,
  resultLine,
  runPool,
  type ServerChild,
  startServerChild,
} from './lib/harness.ts';
import { BOT, BOT_PATH } from './lib/keys.ts';
import { createFloodClient, type TrickleOutcome, trickleBodies } from './lib/raw-http.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

const SLOW = 500;
const TRICKLE_EVERY_MS = 100;
const NORMAL = 200;
const NORMAL_CONCURRENCY = 8;
/** Normal callbacks before the "before" sample (code paths loaded, crypto warm). */
const WARMUP = 16;
/** Most the child's RSS may grow over its warmed-up, collected figure while the 500 are held. */
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
/** A slow connection still open this long after it started is a hang (body timeout 10 s + drain 5 s, far below). */
const HANG_MS = 60_000;

let sim: WeComSimulator;
let child: ServerChild;

interface Run {
  normal: { sent: number; answered: number; wrong: string[] };
  /** Slow connections already ended when the last normal callback was answered. */
  slowEndedDuringNormal: number;
  slow: TrickleOutcome[];
  rssBefore: number;
  rssPeak: number;
  samples: number;
  final: ChildStats | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  seconds: number;
}
let run: Run;

function signedBot() {
  return buildBotCallback({
    token: BOT.token,
    encodingAESKey: BOT.encodingAESKey,
    message: botText({ content: 'p|0|normal', aibotid: BOT.aibotid, responseUrl: sim.createResponseUrl() }),
  });
}

beforeAll(async () => {
  sim = await startWeComSimulator({});
  // A deadline well above the listener's time, so the answer is the passive reply (not response_url).
  child = await startServerChild({ adapter: 'node', apiBase: sim.url, botDeadlineMs: 4000 });
});

afterAll(async () => {
  await child?.stop();
  await sim?.close();
});

describe(`${SLOW} slow-body connections (1 byte per ${TRICKLE_EVERY_MS} ms) on node:http`, () => {
  beforeAll(async () => {
    const started = Date.now();
    const client = createFloodClient(child.port, NORMAL_CONCURRENCY);
    const normal = { sent: 0, answered: 0, wrong: [] as string[] };
    const sendNormal = async (count: boolean) => {
      const cb = signedBot();
      const res = await client.send(
        'POST',
        `${BOT_PATH}${cb.search}`,
        { 'content-type': 'application/json' },
        cb.body,
      );
      if (!count) return;
      normal.sent++;
      let reply: BotReply | null = null;
      try {
        reply =
          res.status === 200
            ? decryptBotReply(res.body, {
                token: BOT.token,
                encodingAESKey: BOT.encodingAESKey,
                expectNonce: cb.nonce,
              })
            : null;
      } catch (error) {
        normal.wrong.push(`undecryptable: ${(error as Error).message}`);
        return;
      }
      const msgid = cb.message.msgid;
      if (
        reply?.msgtype === 'stream' &&
        reply.stream?.finish === true &&
        reply.stream.content === `reply to ${msgid}`
      )
        normal.answered++;
      else normal.wrong.push(`${res.status} ${res.body.slice(0, 80)}`);
    };
    await runPool(WARMUP, NORMAL_CONCURRENCY, () => sendNormal(false));
    const rssBefore = (await child.gc()).rss;

    let rssPeak = rssBefore;
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        rssPeak = Math.max(rssPeak, (await child.stats()).memory.rss);
        samples++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const slowRequests = Array.from({ length: SLOW }, () => {
      const cb = signedBot();
      const length = Buffer.byteLength(cb.body);
      return {
        head: `POST ${BOT_PATH}${cb.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}`,
        body: cb.body,
      };
    });
    const trickle = trickleBodies(child.port, slowRequests, TRICKLE_EVERY_MS, HANG_MS);
    // All 500 connected and held by the server (the warm-up's keep-alive sockets are still open too).
    await pollUntil(
      async () => trickle.connected,
      (n) => n === SLOW,
      HANG_MS,
      50,
    );
    const held = await pollUntil(
      () => child.stats(),
      (s) => s.peakConnections >= SLOW,
      HANG_MS,
      50,
    );
    expect(held.peakConnections).toBeGreaterThanOrEqual(SLOW);

    await runPool(NORMAL, NORMAL_CONCURRENCY, () => sendNormal(true));
    const slowEndedDuringNormal = trickle.ended;
    client.close();

    const slow = await trickle.done;
    sampling = false;
    await sampler;
    const exit = await child.stop(15_000);
    run = {
      normal,
      slowEndedDuringNormal,
      slow,
      rssBefore,
      rssPeak,
      samples,
      final: resultLine(child.lines),
      exit,
      seconds: (Date.now() - started) / 1000,
    };
    const statuses: Record<string, number> = {};
    for (const o of slow) countStatus(statuses, o.status);
    for (let i = 0; i < normal.answered; i++) countStatus(statuses, 200);
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    const closedBy = (by: TrickleOutcome['closedBy']) => slow.filter((o) => o.closedBy === by).length;
    recordSummary({
      scenario: `6 slow bodies (${SLOW} × 1 B/${TRICKLE_EVERY_MS} ms, node:http)`,
      sent: SLOW + NORMAL,
      statuses,
      delivered: run.final ? Object.values(run.final.bot.delivered).reduce((a, b) => a + b, 0) - WARMUP : 0,
      failed: run.final ? Object.values(run.final.bot.failed).reduce((a, b) => a + b, 0) : 0,
      lost: run.final?.bot.pending ?? 0,
      peakRss: run.final?.memory.maxRss ?? 0,
      peakConnections: run.final?.peakConnections ?? 0,
      notes: `${normal.answered}/${NORMAL} normal callbacks answered while the ${SLOW} trickled (${slowEndedDuringNormal} slow ended by then); RSS ${mib(rssBefore)} before, ${mib(rssPeak)} peak of ${samples} samples (bound: +${mib(RSS_GROWTH_BOUND)}); slow ones closed by the server ${closedBy('server')}, by us after a 200 ${closedBy('client')}, hung ${closedBy('hang')}; ${run.seconds.toFixed(1)} s`,
    });
    console.log(
      `[slow-bodies] normal ${normal.answered}/${NORMAL}; statuses ${JSON.stringify(statuses)} (slow and normal), slow ended during normal ${slowEndedDuringNormal}; RSS before ${mib(rssBefore)}, peak ${mib(rssPeak)} (${samples} samples), maxRss ${mib(run.final?.memory.maxRss ?? 0)}; closed by server ${closedBy('server')}, client ${closedBy('client')}, hang ${closedBy('hang')}; ${run.seconds.toFixed(1)} s`,
    );
  }, 110_000);

  it(`answered every one of the ${NORMAL} normal callbacks 200 with the listener's decryptable passive reply`, () => {
    expect(run.normal.wrong).toEqual([]);
    expect(run.normal.answered).toBe(NORMAL);
  });

  it('sent them while all the slow connections were still open (none had ended)', () => {
    expect(run.slowEndedDuringNormal).toBe(0);
  });

  it(`kept the child's RSS growth under ${RSS_GROWTH_BOUND / 1024 / 1024} MiB`, () => {
    expect(run.samples).toBeGreaterThan(0);
    expect(run.rssPeak - run.rssBefore).toBeLessThan(RSS_GROWTH_BOUND);
  });

  it('ended every slow connection with an answer it read (408, or 200) or a close by the server: no 5xx, no hang', () => {
    expect(run.slow).toHaveLength(SLOW);
    const unexpected = run.slow.filter(
      (o) => o.closedBy === 'hang' || !(o.status === 0 || o.status === 408 || o.status === 200),
    );
    expect(unexpected).toEqual([]);
    // A 200 only for a body that arrived in full; a body cut short never reached the listener.
    const bodies = run.slow.filter((o) => o.status === 200);
    expect(run.final?.bot.dispatched).toBe(WARMUP + NORMAL + bodies.length);
  });

  it('did not crash and shut down cleanly', () => {
    expect(run.exit.code).toBe(0);
    expect(run.final?.unhandledRejections).toBe(0);
    expect(run.final?.uncaughtExceptions).toBe(0);
    expect(run.final?.bot.errors).toBe(0);
    expect(run.final?.bot.pending).toBe(0);
  });
});
