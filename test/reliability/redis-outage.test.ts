/**
 * Redis killed under a running fleet (two maven-bot and two hermes-callback replicas on this file's
 * own redis-server), then restarted on the same port. While it is down every callback still gets
 * its HTTP answer, dedup fails open and access tokens fall back to a per-process single flight;
 * once it is back the fleet shares dedup and tokens again. The summary table gets two rows, Redis
 * up (before and after) and Redis down: callbacks answered, and per message the replies WeCom
 * received (delivered once, lost = none, doubled = more than one).
 */
import { randomBytes } from 'node:crypto';
import {
  type AppDriver,
  appText,
  type BotDriver,
  botText,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../examples/test-support/fixtures.js';
import {
  type FleetApp,
  fleetCount,
  HERMES_CALLBACK,
  hermesConfig,
  logLines,
  MAVEN_BOT,
  mavenBotConfig,
  msgIdBase,
  ownRedis,
  pause,
  peakRss,
  type Replica,
  runTag,
  startFleet,
  stopFleet,
  until,
  waitForLog,
} from '../replicas/lib/fleet.js';
import { countStatus, recordSummary } from './lib/summary.ts';

const redis = await ownRedis();
const TAG = runTag();
const BOT_TOKEN = `outageBot${TAG}`;
const BOT_KEY = randomEncodingAESKey();

type TestApp = FleetApp;

/** `during`: its tokens expire while Redis is down. `after`: once Redis is back. */
const [DURING, AFTER] = ['during', 'after'].map(
  (label, i): TestApp => ({
    name: `${label}-${TAG}`,
    corpId: `ww${label}${TAG}`,
    agentId: 1000010 + i,
    corpSecret: `secret-${label}-${TAG}`,
    token: `token${label}${TAG}`,
    encodingAESKey: randomEncodingAESKey(),
  }),
) as [TestApp, TestApp];
const APPS = [DURING, AFTER];

let sim: WeComSimulator;
let dir: TempDir;
let bots: Replica[] = [];
let gateways: Replica[] = [];
let bot: BotDriver;
let nextMsgId = msgIdBase();

/** One summary row's counts: HTTP answers by status, and the replies each message got. */
interface Tally {
  statuses: Record<string, number>;
  replies: number[];
}
const tally = { up: { statuses: {}, replies: [] } as Tally, down: { statuses: {}, replies: [] } as Tally };
function answered(t: Tally, ...statuses: number[]): void {
  for (const status of statuses) countStatus(t.statuses, status);
}
function record(t: Tally, scenario: string, notes: string): void {
  recordSummary({
    scenario,
    sent: Object.values(t.statuses).reduce((a, b) => a + b, 0),
    statuses: t.statuses,
    delivered: t.replies.filter((n) => n === 1).length,
    failed: 0,
    lost: t.replies.filter((n) => n === 0).length,
    doubled: t.replies.filter((n) => n > 1).length,
    peakRss: Math.max(...[...bots, ...gateways].map(peakRss)),
    notes,
  });
}

function driver(app: TestApp): AppDriver {
  const { corpId, agentId, token, encodingAESKey } = app;
  return sim.app({ corpId, agentId, token, encodingAESKey });
}

function gettokens(app: TestApp): number {
  return sim.calls('gettoken').filter((c) => c.app === app.name && c.status === 200).length;
}

function accepted(content: string): number {
  return sim.messages().filter((m) => (m.body as { text?: { content?: string } }).text?.content === content)
    .length;
}

function botMsgid(label: string): string {
  return `outage-${TAG}-${label}-${randomBytes(4).toString('hex')}`;
}

function freshMsgId(): string {
  nextMsgId += 1n;
  return nextMsgId.toString();
}

function appMessage(app: TestApp, content: string, msgId = freshMsgId()) {
  return appText({ content, from: 'zhangsan', corpId: app.corpId, agentId: app.agentId, msgId });
}

/** The reply outcome the gateway logged for a MsgId: 'sent' or 'failed'. */
async function replyOutcome(gateway: Replica, msgId: string): Promise<string> {
  const line = await gateway.waitForLine(new RegExp(`: reply\\.(sent|failed) .*"msgId":"${msgId}"`), {
    stream: 'stderr',
    timeoutMs: 30_000,
  });
  return line.includes('reply.sent') ? 'sent' : 'failed';
}

/** The bot's reply outcome for a msgid: the `reply.delivered` / `reply.failed` line's reason. */
async function botOutcome(replica: Replica, msgid: string): Promise<string> {
  const line = await replica.waitForLine(new RegExp(`: reply\\.(delivered|failed) .*"msgid":"${msgid}"`), {
    stream: 'stderr',
    timeoutMs: 30_000,
  });
  return line.includes('reply.delivered') ? 'delivered' : (/"reason":"([^"]+)"/.exec(line)?.[1] ?? 'failed');
}

/** Lines of one process written after `mark` (a stderr length taken earlier). */
function since(replica: Replica, mark: number, text: string): number {
  return replica.stderr.slice(mark).filter((line) => line.includes(text)).length;
}

beforeAll(async () => {
  if (!redis) return;
  sim = await startWeComSimulator({
    apps: APPS.map(({ name, corpId, corpSecret, agentId }) => ({ name, corpId, corpSecret, agentId })),
  });
  dir = tempDir('replicas-outage-');
  const botConfig = dir.write('maven.json', mavenBotConfig({ token: BOT_TOKEN, encodingAESKey: BOT_KEY }));
  const hermesConfigFile = dir.write('config.yaml', hermesConfig(APPS));
  bot = sim.bot({ token: BOT_TOKEN, encodingAESKey: BOT_KEY });
  [bots, gateways] = await Promise.all([
    startFleet(MAVEN_BOT, 2, () => ['--config', botConfig, '--port', '0', '--redis', redis.url]),
    startFleet(
      HERMES_CALLBACK,
      2,
      () => ['--config', hermesConfigFile, '--port', '0', '--redis', redis.url],
      {
        WECOM_API_BASE: sim.url,
        WECOM_CALLBACK_ALLOW_ALL_USERS: 'true',
      },
    ),
  ]);
  for (const gateway of gateways)
    for (const app of APPS) await waitForLog(gateway, 'access token ready', { app: app.name });
});

afterAll(async () => {
  await stopFleet([...bots, ...gateways]);
  await sim?.close();
  await redis?.stop();
  dir?.remove();
});

/** Same msgid to bot replica A, then (once A answered) to B: how many dispatches, and the reply count. */
async function botDuplicateCheck(label: string) {
  const [a, b] = bots as [Replica, Replica];
  const message = botText({ content: label, msgid: botMsgid(label), responseUrl: sim.createResponseUrl() });
  const first = await bot.send(a.url, message, { redeliver: false });
  const outcome = await botOutcome(a, message.msgid);
  const second = await bot.send(b.url, message, { redeliver: false });
  // B's log is read up to here once B answered a fresh message after the copy.
  const fence = botText({ content: 'fence', msgid: botMsgid('fence') });
  await bot.send(b.url, fence, { redeliver: false });
  await botOutcome(b, fence.msgid);
  answered(tally.up, first.status, second.status, 200);
  tally.up.replies.push(
    sim.responses(message.response_url!).length,
    fleetCount(bots, 'reply.delivered', { msgid: fence.msgid }),
  );
  return {
    statuses: [first.status, second.status],
    outcome,
    dispatches: fleetCount(bots, 'inbound', { msgid: message.msgid }),
    replies: sim.responses(message.response_url!).length,
  };
}

/** Same MsgId to gateway A, then to B: B's verdict and the replies sent. */
async function callbackDuplicateCheck(label: string) {
  const [a, b] = gateways as [Replica, Replica];
  const msgId = freshMsgId();
  const content = `${label} ${msgId}`;
  const first = await driver(AFTER).send(a.url, appMessage(AFTER, content, msgId), { redeliver: false });
  const outcome = await replyOutcome(a, msgId);
  const mark = b.stderr.length;
  const second = await driver(AFTER).send(b.url, appMessage(AFTER, content, msgId), { redeliver: false });
  // B's log is read up to here once B answered a fresh message after the copy.
  const fence = appMessage(AFTER, `fence ${label}`);
  await driver(AFTER).send(b.url, fence, { redeliver: false });
  await replyOutcome(b, String(fence.MsgId));
  // The log redacts the dedup key: the app's duplicate line after the mark says it all.
  const refused = since(b, mark, `: duplicate {"app":"${AFTER.name}"`) === 1;
  answered(tally.up, first.status, second.status, 200);
  tally.up.replies.push(accepted(`echo: ${content}`), accepted(`echo: fence ${label}`));
  return {
    statuses: [first.status, second.status],
    outcome,
    refused,
    dispatches: fleetCount(gateways, 'inbound', { msgId }),
    replies: accepted(`echo: ${content}`),
  };
}

describe.skipIf(!redis)('Redis killed under the fleet, then restarted on the same port', () => {
  it('with Redis up, a duplicate is refused across replicas (bot and callback gateway)', async () => {
    expect(await botDuplicateCheck('before')).toEqual({
      statuses: [200, 200],
      outcome: 'delivered',
      dispatches: 1,
      replies: 1,
    });
    expect(await callbackDuplicateCheck('before')).toEqual({
      statuses: [200, 200],
      outcome: 'sent',
      refused: true,
      dispatches: 1,
      replies: 1,
    });
  });

  it('Redis down: every callback is answered, dedup fails open, tokens fall back to one gettoken per process', async () => {
    const botMarks = bots.map((r) => r.stderr.length);
    const gwMarks = gateways.map((r) => r.stderr.length);
    const tokensBefore = { during: gettokens(DURING), after: gettokens(AFTER) };
    await redis!.stop();
    // WeCom expires one app's tokens while Redis is away: every gateway must refresh on its own.
    expect(sim.expireTokens(DURING.name)).toBeGreaterThan(0);

    // The callback gateways: 10 messages each (both apps), plus one MsgId delivered to both.
    const twice = freshMsgId();
    const jobs = gateways.flatMap((gateway) => [
      ...Array.from({ length: 10 }, (_, i) => {
        const app = APPS[i % 2]!;
        const content = `down ${gateway.name}-${i}`;
        const message = appMessage(app, content);
        const msgId = String(message.MsgId);
        return driver(app)
          .send(gateway.url, message, { redeliver: false })
          .then((res) => ({ gateway, msgId, content, status: res.status }));
      }),
      driver(DURING)
        .send(gateway.url, appMessage(DURING, 'down twice', twice), { redeliver: false })
        .then((res) => ({ gateway, msgId: twice, content: 'down twice', status: res.status })),
    ]);
    // The bots: 5 messages each, plus one msgid delivered to both.
    const botTwice = botText({ content: 'bot twice', msgid: botMsgid('twice') });
    const botJobs = bots.flatMap((replica) => [
      ...Array.from({ length: 5 }, (_, i) => {
        const message = botText({ content: `bot down ${replica.name}-${i}`, msgid: botMsgid(`down-${i}`) });
        return bot
          .send(replica.url, message, { redeliver: false })
          .then((res) => ({ replica, message, res }));
      }),
      bot
        .send(replica.url, botTwice, { redeliver: false })
        .then((res) => ({ replica, message: botTwice, res })),
    ]);
    const [sent, botSent] = await Promise.all([Promise.all(jobs), Promise.all(botJobs)]);

    // Nothing hangs: every callback got its HTTP answer within WeCom's 5 s, on the first delivery.
    expect(sent.map((s) => s.status)).toEqual(Array(sent.length).fill(200));
    expect(botSent.map((s) => s.res.status)).toEqual(Array(botSent.length).fill(200));
    for (const replica of [...bots, ...gateways]) {
      const health = await fetch(`${replica.origin}/health`);
      expect(health.status).toBe(200);
    }

    // Callback gateways: every message answered through message/send (none dropped).
    const outcomes = await Promise.all(sent.map((s) => replyOutcome(s.gateway, s.msgId)));
    expect(outcomes).toEqual(Array(sent.length).fill('sent'));
    for (const s of sent.filter((s) => s.msgId !== twice)) expect(accepted(`echo: ${s.content}`)).toBe(1);
    // Dedup failed open (at-least-once across replicas): the MsgId delivered to both was processed by both, logged as such.
    expect(fleetCount(gateways, 'inbound', { msgId: twice })).toBe(2);
    expect(accepted('echo: down twice')).toBe(2);
    for (const [i, gateway] of gateways.entries()) {
      expect(
        since(
          gateway,
          gwMarks[i]!,
          'dedup store failed; handling the callback on this replica (at-least-once)',
        ),
      ).toBeGreaterThan(0);
      expect(since(gateway, gwMarks[i]!, 'Redis store unavailable;')).toBe(1);
    }
    // Tokens: each process fetched its own, once (single flight), for the app whose token expired;
    // the other app's token kept working from memory.
    for (const [i, gateway] of gateways.entries()) {
      const refreshed = gateway.stderr
        .slice(gwMarks[i])
        .filter((l) => l.includes(': access token refreshed') && l.includes(`"corpId":"${DURING.corpId}"`));
      expect(refreshed).toHaveLength(1);
      expect(since(gateway, gwMarks[i]!, 'token store operation failed')).toBeGreaterThan(0);
    }
    expect(gettokens(DURING) - tokensBefore.during).toBe(gateways.length);
    expect(gettokens(AFTER) - tokensBefore.after).toBe(0);

    // Bots: every message dispatched (dedup fails open; the msgid sent to both ran on both). The
    // reply goes out through the message's response_url all the same: the receiving process keeps
    // its own copy of the target and claims the URL locally (fail-open), so no answer is lost.
    for (const { replica, message } of botSent) {
      expect(logLines(replica, 'inbound', { msgid: message.msgid }).length).toBe(1);
    }
    expect(fleetCount(bots, 'inbound', { msgid: botTwice.msgid })).toBe(2);
    const botOutcomes = await Promise.all(
      botSent.map(({ replica, message }) => botOutcome(replica, message.msgid)),
    );
    expect(new Set(botOutcomes)).toEqual(new Set(['delivered']));
    // The row: one entry per message (the copies delivered to both replicas count once).
    answered(tally.down, ...sent.map((s) => s.status), ...botSent.map((s) => s.res.status));
    const appContents = new Set(sent.map((s) => s.content));
    const botIds = new Set(botSent.map((s) => s.message.msgid));
    tally.down.replies.push(
      ...[...appContents].map((content) => accepted(`echo: ${content}`)),
      ...[...botIds].map((id) => fleetCount(bots, 'reply.delivered', { msgid: id })),
    );
    record(
      tally.down,
      '8 Redis outage: Redis down (maven-bot × 2, hermes-callback × 2)',
      'dedup fails open: the two messages delivered to both replicas while Redis was down were handled and answered by both ("doubled", documented at-least-once); every other message got one reply',
    );
    for (const [i, replica] of bots.entries()) {
      expect(
        since(
          replica,
          botMarks[i]!,
          'dedup store failed; handling the callback on this replica (at-least-once)',
        ),
      ).toBeGreaterThan(0);
      expect(since(replica, botMarks[i]!, 'Redis store unavailable;')).toBe(1);
    }
  });

  it('Redis back on the same port: the fleet recovers, duplicates are refused and the token is shared again', async () => {
    const marks = new Map([...bots, ...gateways].map((r) => [r, r.stderr.length]));
    await redis!.start();
    // Each process notices on its next Redis operation: probe each one until it says so.
    for (const replica of bots) {
      await until(
        `${replica.name} (maven-bot) to reconnect to Redis`,
        () => since(replica, marks.get(replica)!, 'Redis store is available again') > 0,
        async () => {
          await bot.send(replica.url, botText({ content: 'probe', msgid: botMsgid('probe') }), {
            redeliver: false,
          });
          await pause(100);
        },
      );
    }
    for (const gateway of gateways) {
      await until(
        `${gateway.name} (hermes-callback) to reconnect to Redis`,
        () => since(gateway, marks.get(gateway)!, 'Redis store is available again') > 0,
        async () => {
          await driver(AFTER).send(gateway.url, appMessage(AFTER, 'probe'), { redeliver: false });
          await pause(100);
        },
      );
    }

    expect(await botDuplicateCheck('after')).toEqual({
      statuses: [200, 200],
      outcome: 'delivered',
      dispatches: 1,
      replies: 1,
    });
    expect(await callbackDuplicateCheck('after')).toEqual({
      statuses: [200, 200],
      outcome: 'sent',
      refused: true,
      dispatches: 1,
      replies: 1,
    });

    // Tokens are shared again: after a 42001 on both gateways, one gettoken for the fleet.
    const before = gettokens(AFTER);
    expect(sim.expireTokens(AFTER.name)).toBeGreaterThan(0);
    const sent = await Promise.all(
      gateways.flatMap((gateway) =>
        Array.from({ length: 10 }, (_, i) => {
          const content = `back ${gateway.name}-${i}`;
          const message = appMessage(AFTER, content);
          return driver(AFTER)
            .send(gateway.url, message, { redeliver: false })
            .then((res) => ({ gateway, msgId: String(message.MsgId), content, status: res.status }));
        }),
      ),
    );
    expect(sent.map((s) => s.status)).toEqual(Array(sent.length).fill(200));
    expect(await Promise.all(sent.map((s) => replyOutcome(s.gateway, s.msgId)))).toEqual(
      Array(sent.length).fill('sent'),
    );
    for (const s of sent) expect(accepted(`echo: ${s.content}`)).toBe(1);
    expect(gettokens(AFTER) - before).toBe(1);
    answered(tally.up, ...sent.map((s) => s.status));
    tally.up.replies.push(...sent.map((s) => accepted(`echo: ${s.content}`)));
    record(
      tally.up,
      '8 Redis outage: Redis up, before and after (maven-bot × 2, hermes-callback × 2)',
      'a message delivered to one replica and then to the other is answered once across the fleet, before the outage and after Redis came back empty',
    );
  });
});
