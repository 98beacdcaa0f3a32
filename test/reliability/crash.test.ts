/**
 * kill -9 of a replica with callbacks in flight, on a shared Redis: WeCom re-delivers what it got
 * no answer to about 5 s after sending it. Dedup's claim (deadline + 500 ms = 4.5 s) has lapsed by
 * then, so the other replica handles each of those messages and it is answered once; a message
 * the dead replica had already answered is a duplicate there (no second reply). Counted from
 * WeCom's side (the simulator): passive replies received plus posts to each message's
 * response_url, per msgid.
 */
import { randomBytes } from 'node:crypto';
import {
  type BotDriver,
  type BotSendResult,
  botText,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../examples/test-support/fixtures.js';
import {
  fleetCount,
  MAVEN_BOT,
  mavenBotConfig,
  peakRss,
  type Replica,
  runTag,
  sharedRedis,
  startFleet,
  stopFleet,
  waitForLog,
} from '../replicas/lib/fleet.js';
import { countStatus, recordSummary } from './lib/summary.ts';

const redis = await sharedRedis();
const TAG = runTag();
const TOKEN = `crashBot${TAG}`;
const KEY = randomEncodingAESKey();
/** How long after its first delivery WeCom re-delivers a callback it got no answer to. */
const WECOM_REDELIVERY_MS = 5000;
/** Answered by A before the kill, and in flight on A when it dies. */
const ANSWERED = 5;
const IN_FLIGHT = 10;

let sim: WeComSimulator;
let dir: TempDir;
let bot: BotDriver;
let fleet: Replica[] = [];

const msgid = (label: string) => `crash-${TAG}-${label}-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const message = (label: string, i: number) =>
  botText({ content: `${label} ${i}`, msgid: msgid(`${label}-${i}`), responseUrl: sim.createResponseUrl() });

beforeAll(async () => {
  if (!redis) return;
  sim = await startWeComSimulator();
  dir = tempDir('replicas-crash-');
  const config = dir.write('maven.json', mavenBotConfig({ token: TOKEN, encodingAESKey: KEY }));
  bot = sim.bot({ token: TOKEN, encodingAESKey: KEY });
  // Every callback takes 1.5 s to answer: long enough to die in the middle of one.
  fleet = await startFleet(MAVEN_BOT, 2, () => [
    '--config',
    config,
    '--port',
    '0',
    '--redis',
    redis!.url,
    '--ack-delay-ms',
    '1500',
  ]);
}, 90_000);

afterAll(async () => {
  await stopFleet(fleet);
  await sim?.close();
  dir?.remove();
});

describe.skipIf(!redis)('kill -9 of a replica with callbacks in flight (shared Redis)', () => {
  it("WeCom's re-deliveries are answered by the other replica exactly once; answered ones are not answered again", async () => {
    const [a, b] = fleet as [Replica, Replica];
    const statuses: Record<string, number> = {};
    const results = new Map<string, BotSendResult[]>();
    const send = async (url: string, m: ReturnType<typeof message>) => {
      const result = await bot.send(url, m, { redeliver: false });
      countStatus(statuses, result.status);
      results.set(m.msgid, [...(results.get(m.msgid) ?? []), result]);
      return result;
    };

    // Answered by A before the crash.
    const answered = Array.from({ length: ANSWERED }, (_, i) => message('answered', i));
    const first = await Promise.all(answered.map((m) => send(a.url, m)));
    expect(first.map((r) => r.status)).toEqual(Array(ANSWERED).fill(200));
    await Promise.all(answered.map((m) => waitForLog(a, 'reply.delivered', { msgid: m.msgid })));

    // In flight on A when it dies.
    const inFlight = Array.from({ length: IN_FLIGHT }, (_, i) => message('in-flight', i));
    const sentAt = Date.now();
    const lost = Promise.all(inFlight.map((m) => send(a.url, m)));
    await Promise.all(inFlight.map((m) => waitForLog(a, 'inbound', { msgid: m.msgid })));
    const rssA = peakRss(a);
    await a.stop('SIGKILL');
    // WeCom got no answer to any of them.
    for (const r of await lost) expect(r.status).not.toBe(200);

    await sleep(sentAt + WECOM_REDELIVERY_MS - Date.now());
    const redelivered = await Promise.all(inFlight.map((m) => send(b.url, m)));
    expect(redelivered.map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill(200));
    await Promise.all(inFlight.map((m) => waitForLog(b, 'reply.delivered', { msgid: m.msgid })));
    for (const m of inFlight) expect(fleetCount([b], 'inbound', { msgid: m.msgid })).toBe(1);

    // WeCom re-delivers the answered ones too (as after a lost answer): duplicates, nothing sent.
    const again = await Promise.all(answered.map((m) => send(b.url, m)));
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.reply).toBeNull();
    }
    for (const m of answered) expect(fleetCount([b], 'inbound', { msgid: m.msgid })).toBe(0);

    // Replies as WeCom counts them: passive ones received, plus posts to the response_url.
    const replies = [...answered, ...inFlight].map(
      (m) =>
        (results.get(m.msgid) ?? []).filter((r) => r.reply !== null).length +
        sim.responses(m.response_url!).length,
    );
    expect(replies).toEqual(Array(ANSWERED + IN_FLIGHT).fill(1));
    recordSummary({
      scenario: '7 kill -9 of a replica (maven-bot × 2, Redis store)',
      sent: [...results.values()].reduce((n, list) => n + list.length, 0),
      statuses,
      delivered: replies.filter((n) => n === 1).length,
      failed: 0,
      lost: replies.filter((n) => n === 0).length,
      doubled: replies.filter((n) => n > 1).length,
      peakRss: Math.max(rssA, peakRss(b)),
      notes: `${ANSWERED} messages answered before the kill, ${IN_FLIGHT} in flight at the kill (their first delivery got no answer, "none"), all re-delivered 5 s later to the other replica; each message got exactly one reply`,
    });
  }, 60_000);
});
