/**
 * Two replicas of examples/maven-bot as child processes sharing one Redis (`--redis URL`), driven
 * by the simulated WeCom over real HTTP: a message delivered to both replicas at once is processed
 * once and answered once through its response_url; a stream started on replica A is refreshed,
 * growing and then finished, through replica B.
 *
 * Isolation on a shared Redis: the bot's keys are scoped by a digest of its token and key, which are
 * random per run, and msgids are unique, so nothing is flushed and no other run's keys are touched.
 */
import { randomBytes } from 'node:crypto';
import {
  type BotDriver,
  type BotReply,
  botText,
  buildBotCallback,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../examples/test-support/fixtures.js';
import {
  fleetCount,
  logLines,
  MAVEN_BOT,
  mavenBotConfig,
  type Replica,
  runTag,
  sharedRedis,
  startFleet,
  stopFleet,
  waitForLog,
} from './lib/fleet.js';

const redis = await sharedRedis();
const TAG = runTag();
const TOKEN = `replicaBot${TAG}`;
const KEY = randomEncodingAESKey();

let sim: WeComSimulator;
let dir: TempDir;
let configFile: string;
let bot: BotDriver;

/** A msgid no other run uses. */
function msgid(label: string): string {
  return `replicas-${TAG}-${label}-${randomBytes(4).toString('hex')}`;
}

/** POSTs one signed callback exactly as built (same timestamp, nonce and signature every time). */
async function post(url: string, signed: { search: string; body: string }): Promise<number> {
  const res = await fetch(`${url}${signed.search}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: signed.body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** The response_url posts WeCom accepted for one URL, and every attempt made on it. */
function replies(url: string) {
  const code = new URL(url).searchParams.get('response_code');
  return {
    accepted: sim.responses(url).length,
    attempts: sim.calls('aibot/response').filter((c) => c.query.response_code === code).length,
  };
}

/**
 * Reads every replica's log up to now: a fresh message to each, answered on that replica, so any
 * line a replica wrote before it has been read (a pipe keeps its order).
 */
async function barrier(fleet: readonly Replica[]): Promise<void> {
  await Promise.all(
    fleet.map(async (replica) => {
      const message = botText({ content: 'barrier', msgid: msgid(`barrier-${replica.name}`) });
      const res = await bot.send(replica.url, message, { redeliver: false });
      expect(res.status).toBe(200);
      await waitForLog(replica, 'reply.delivered', { msgid: message.msgid });
    }),
  );
}

beforeAll(async () => {
  if (!redis) return;
  sim = await startWeComSimulator();
  dir = tempDir('replicas-maven-bot-');
  configFile = dir.write('maven.json', mavenBotConfig({ token: TOKEN, encodingAESKey: KEY }));
  bot = sim.bot({ token: TOKEN, encodingAESKey: KEY });
});

afterAll(async () => {
  await sim?.close();
  dir?.remove();
});

describe.skipIf(!redis)('maven-bot x2 on one Redis: a message is processed once across replicas', () => {
  let fleet: Replica[] = [];
  const N = 12;

  beforeAll(async () => {
    fleet = await startFleet(MAVEN_BOT, 2, () => [
      '--config',
      configFile,
      '--port',
      '0',
      '--redis',
      redis!.url,
    ]);
  });

  afterAll(() => stopFleet(fleet));

  it('both replicas say they keep their state in Redis', () => {
    for (const replica of fleet)
      expect(logLines(replica, 'WeCom channel ready', { store: 'redis' })).toHaveLength(1);
  });

  it('the identical signed callback delivered to A and to B at once is dispatched once and answered once', async () => {
    const [a, b] = fleet as [Replica, Replica];
    const messages = Array.from({ length: N }, (_, i) =>
      botText({
        content: `same bytes ${i}`,
        msgid: msgid(`same-${i}`),
        responseUrl: sim.createResponseUrl(),
      }),
    );
    const statuses = await Promise.all(
      messages.flatMap((message) => {
        const signed = buildBotCallback({ token: TOKEN, encodingAESKey: KEY, message });
        return [post(a.url, signed), post(b.url, signed)];
      }),
    );
    // Whichever replica claims it first on Redis dispatches; a copy that finds that claim still live
    // is answered 503 (WeCom tries again), one that finds it answered gets 200: never two dispatches.
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    for (let i = 0; i < N; i++) expect([statuses[2 * i], statuses[2 * i + 1]]).toContain(200);
    for (const message of messages) await sim.waitForResponse(message.response_url!);
    await barrier(fleet);
    for (const [i, message] of messages.entries()) {
      expect(fleetCount(fleet, 'inbound', { msgid: message.msgid })).toBe(1);
      expect(replies(message.response_url!)).toEqual({ accepted: 1, attempts: 1 });
      expect(sim.responses(message.response_url!)[0]!.body).toEqual({
        msgtype: 'markdown',
        markdown: { content: `echo: same bytes ${i}` },
      });
    }
  });

  it('a re-delivery (same msgid, new nonce and signature) to the other replica at once is dispatched once', async () => {
    const [a, b] = fleet as [Replica, Replica];
    const messages = Array.from({ length: N }, (_, i) =>
      botText({
        content: `re-signed ${i}`,
        msgid: msgid(`resigned-${i}`),
        responseUrl: sim.createResponseUrl(),
      }),
    );
    const results = await Promise.all(
      messages.flatMap((message) => [
        bot.send(a.url, message, { redeliver: false }),
        bot.send(b.url, message, { redeliver: false }),
      ]),
    );
    // A copy that finds the other replica's claim still live gets 503 (WeCom tries again), else 200.
    expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    for (let i = 0; i < N; i++) expect([results[2 * i]!.status, results[2 * i + 1]!.status]).toContain(200);
    // Every delivery carried its own signature: the replay mark cannot be what refused the copies.
    expect(new Set(results.map((r) => r.attempts[0]!.nonce)).size).toBe(2 * N);
    for (const message of messages) await sim.waitForResponse(message.response_url!);
    await barrier(fleet);
    for (const message of messages) {
      expect(fleetCount(fleet, 'inbound', { msgid: message.msgid })).toBe(1);
      expect(replies(message.response_url!)).toEqual({ accepted: 1, attempts: 1 });
    }
  });

  it('a late re-delivery to the other replica is refused too, and its response_url is not used again', async () => {
    const [a, b] = fleet as [Replica, Replica];
    const message = botText({
      content: 'late copy',
      msgid: msgid('late'),
      responseUrl: sim.createResponseUrl(),
    });
    expect((await bot.send(a.url, message, { redeliver: false })).status).toBe(200);
    await sim.waitForResponse(message.response_url!);
    expect((await bot.send(b.url, message, { redeliver: false })).status).toBe(200);
    await barrier(fleet);
    expect(logLines(a, 'inbound', { msgid: message.msgid })).toHaveLength(1);
    expect(logLines(b, 'inbound', { msgid: message.msgid })).toHaveLength(0);
    expect(replies(message.response_url!)).toEqual({ accepted: 1, attempts: 1 });
  });
});

describe.skipIf(!redis)(
  'maven-bot --stream x2 on one Redis: a stream started on A is refreshed through B',
  () => {
    let fleet: Replica[] = [];

    beforeAll(async () => {
      // 400 ms between stream updates: long enough for several refreshes to see each step.
      fleet = await startFleet(MAVEN_BOT, 2, () => [
        '--config',
        configFile,
        '--port',
        '0',
        '--redis',
        redis!.url,
        '--stream',
        '--stream-step-ms',
        '400',
      ]);
    });

    afterAll(() => stopFleet(fleet));

    /** The stream's content as WeCom shows it. */
    const content = (frame: BotReply) => frame.stream?.content ?? '';

    it('answers refresh callbacks on B with the growing content A generates, then the finish', async () => {
      const [a, b] = fleet as [Replica, Replica];
      const text = 'a stream generated on replica A and read through replica B';
      const message = botText({ content: text, msgid: msgid('stream') });
      const first = await bot.send(a.url, message, { redeliver: false });
      expect(first.status).toBe(200);
      expect(first.reply?.msgtype).toBe('stream');
      const streamId = first.reply!.stream!.id!;
      expect(first.reply!.stream!.finish).toBe(false);

      const polled = await bot.pollStream(b.url, streamId, { intervalMs: 50, maxPolls: 100 });
      const answer = `echo: ${text}`;
      expect(polled.finished).toBe(true);
      expect(polled.content).toBe(answer);
      expect(polled.frames.every((f) => f.msgtype === 'stream' && f.stream?.id === streamId)).toBe(true);
      // Growing: every frame is a prefix of the answer, never shorter than the one before it.
      const texts = polled.frames.map(content);
      for (const [i, t] of texts.entries()) {
        expect(answer.startsWith(t)).toBe(true);
        if (i > 0) expect(t.length).toBeGreaterThanOrEqual(texts[i - 1]!.length);
      }
      // B saw the stream part-way (A was still generating), not only its end.
      const partial = new Set(texts.filter((t) => t.length > 0 && t.length < answer.length));
      expect(partial.size).toBeGreaterThanOrEqual(1);
      expect(polled.frames.filter((f) => f.stream?.finish === true)).toHaveLength(1);

      // A generated it, B only read it: one dispatch, on A; B reported the finished stream it served.
      expect(logLines(a, 'inbound', { msgid: message.msgid })).toHaveLength(1);
      expect(logLines(b, 'inbound', { msgid: message.msgid })).toHaveLength(0);
      await waitForLog(b, 'reply.delivered', { msgid: message.msgid, streamId });
    });

    it('a re-delivery of the streamed message that lands on B gets A’s stream instead of a second dispatch', async () => {
      const [a, b] = fleet as [Replica, Replica];
      const text = 'redelivered while streaming';
      const message = botText({ content: text, msgid: msgid('stream-again') });
      const first = await bot.send(a.url, message, { redeliver: false });
      const streamId = first.reply!.stream!.id!;
      const again = await bot.send(b.url, message, { redeliver: false });
      expect(again.status).toBe(200);
      expect(again.reply?.msgtype).toBe('stream');
      expect(again.reply!.stream!.id).toBe(streamId);
      const polled = await bot.pollStream(b.url, streamId, { intervalMs: 50, maxPolls: 100 });
      expect(polled.finished).toBe(true);
      expect(polled.content).toBe(`echo: ${text}`);
      expect(fleetCount(fleet, 'inbound', { msgid: message.msgid })).toBe(1);
      expect(logLines(a, 'inbound', { msgid: message.msgid })).toHaveLength(1);
    });
  },
);
