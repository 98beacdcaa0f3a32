/**
 * kill -9 of a replica with a callback in flight, on a shared Redis: WeCom re-delivers what it got
 * no answer to about 5 s after sending it. Dedup's claim (deadline + 500 ms = 4.5 s) has lapsed by
 * then, so the other replica handles the message and it is answered once; a message the dead
 * replica had already answered is a duplicate there (no second reply).
 */
import { randomBytes } from 'node:crypto';
import { type BotDriver, botText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../examples/test-support/fixtures.js';
import {
  fleetCount,
  MAVEN_BOT,
  type Replica,
  runTag,
  sharedRedis,
  startFleet,
  stopFleet,
  waitForLog,
} from './lib/fleet.js';

const redis = await sharedRedis();
const TAG = runTag();
const TOKEN = `crashBot${TAG}`;
const KEY = randomEncodingAESKey();
/** How long after its first delivery WeCom re-delivers a callback it got no answer to. */
const WECOM_REDELIVERY_MS = 5000;

let sim: WeComSimulator;
let dir: TempDir;
let bot: BotDriver;
let fleet: Replica[] = [];

const msgid = (label: string) => `crash-${TAG}-${label}-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  if (!redis) return;
  sim = await startWeComSimulator();
  dir = tempDir('replicas-crash-');
  const config = dir.write(
    'maven.json',
    JSON.stringify({
      agents: { default: 'echo' },
      channels: { wecom: { enabled: true, token: TOKEN, encodingAESKey: KEY, port: 9886, proxy: '' } },
    }),
  );
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

describe.skipIf(!redis)('kill -9 of a replica with a callback in flight (shared Redis)', () => {
  it("WeCom's re-delivery is answered by the other replica exactly once; an answered one is not answered again", async () => {
    const [a, b] = fleet as [Replica, Replica];
    // Answered by A before the crash.
    const answered = botText({ content: 'answered before', msgid: msgid('answered') });
    const first = await bot.send(a.url, answered, { redeliver: false });
    expect(first.status).toBe(200);
    await waitForLog(a, 'reply.delivered', { msgid: answered.msgid });

    // In flight on A when it dies.
    const inFlight = botText({ content: 'in flight', msgid: msgid('in-flight') });
    const sentAt = Date.now();
    const lost = bot.send(a.url, inFlight, { redeliver: false });
    await waitForLog(a, 'inbound', { msgid: inFlight.msgid });
    await a.stop('SIGKILL');
    expect((await lost).status).not.toBe(200); // WeCom got no answer

    await sleep(sentAt + WECOM_REDELIVERY_MS - Date.now());
    const redelivered = await bot.send(b.url, inFlight, { redeliver: false });
    expect(redelivered.status).toBe(200);
    await waitForLog(b, 'reply.delivered', { msgid: inFlight.msgid });
    expect(fleetCount([b], 'inbound', { msgid: inFlight.msgid })).toBe(1);
    const passive = redelivered.reply ? 1 : 0;
    expect(passive + sim.responses(redelivered.responseUrl!).length).toBe(1);

    const again = await bot.send(b.url, answered, { redeliver: false });
    expect(again.status).toBe(200);
    expect(again.reply).toBeNull();
    expect(fleetCount([b], 'inbound', { msgid: answered.msgid })).toBe(0);
  }, 30_000);
});
