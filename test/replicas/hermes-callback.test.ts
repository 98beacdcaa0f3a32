/**
 * Four replicas of examples/hermes-callback as child processes sharing one Redis (`--redis URL`),
 * two apps each, driven by the simulated WeCom over real HTTP: 4 x 50 concurrent text callbacks at
 * cold start make exactly one gettoken per app across the fleet, and after WeCom expires the
 * tokens (42001) a burst on all four makes exactly one refresh per app; every message is answered
 * through message/send of the app that received it.
 *
 * Isolation on a shared Redis: token keys carry the corp id and dedup keys the app name and MsgId,
 * all random per run, so nothing is flushed and no other run's keys are touched.
 */
import { type AppDriver, appText, startWeComSimulator, type WeComSimulator } from '@maven/wecom-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEncodingAESKey, type TempDir, tempDir } from '../../examples/test-support/fixtures.js';
import {
  HERMES_CALLBACK,
  hermesConfig,
  logLines,
  msgIdBase,
  type Replica,
  runTag,
  sharedRedis,
  startFleet,
  stopFleet,
} from './lib/fleet.js';

const redis = await sharedRedis();
const TAG = runTag();
const REPLICAS = 4;
const PER_REPLICA = 50;

interface TestApp {
  name: string;
  corpId: string;
  agentId: number;
  corpSecret: string;
  token: string;
  encodingAESKey: string;
}

// Two apps of two corps; ids random per run, so the token keys are this run's alone.
const APPS: TestApp[] = [
  {
    name: `sales-${TAG}`,
    corpId: `wwsales${TAG}`,
    agentId: 1000002,
    corpSecret: `secret-sales-${TAG}`,
    token: `tokenSales${TAG}`,
    encodingAESKey: randomEncodingAESKey(),
  },
  {
    name: `support-${TAG}`,
    corpId: `wwsupport${TAG}`,
    agentId: 1000005,
    corpSecret: `secret-support-${TAG}`,
    token: `tokenSupport${TAG}`,
    encodingAESKey: randomEncodingAESKey(),
  },
];

let sim: WeComSimulator;
let dir: TempDir;
let fleet: Replica[] = [];
let nextMsgId = msgIdBase();

function driver(app: TestApp): AppDriver {
  const { corpId, agentId, token, encodingAESKey } = app;
  return sim.app({ corpId, agentId, token, encodingAESKey });
}

/** Successful gettoken calls of one app. */
function gettokens(app: TestApp): number {
  return sim.calls('gettoken').filter((c) => c.app === app.name && c.status === 200).length;
}

/** Texts accepted by message/send, by content. */
function accepted(content: string) {
  return sim.messages().filter((m) => (m.body as { text?: { content?: string } }).text?.content === content);
}

interface Sent {
  replica: Replica;
  app: TestApp;
  msgId: string;
  content: string;
  status: number;
}

/** `perReplica` concurrent text callbacks to every replica, alternating the apps; all at once. */
async function burst(label: string, perReplica: number): Promise<Sent[]> {
  const jobs = fleet.flatMap((replica) =>
    Array.from({ length: perReplica }, (_, i) => {
      const app = APPS[i % APPS.length]!;
      nextMsgId += 1n;
      const msgId = nextMsgId.toString();
      const content = `${label} ${replica.name}-${i}`;
      const from = `user${i % 7}`;
      const message = appText({ content, from, corpId: app.corpId, agentId: app.agentId, msgId });
      return driver(app)
        .send(replica.url, message, { redeliver: false })
        .then((res) => ({ replica, app, msgId, content, status: res.status }));
    }),
  );
  return Promise.all(jobs);
}

/** Waits until the replica that got each message logged its reply's outcome; returns the failures. */
async function outcomes(sent: readonly Sent[]): Promise<string[]> {
  const lines = await Promise.all(
    sent.map(({ replica, msgId }) =>
      replica.waitForLine(new RegExp(`: reply\\.(sent|failed) .*"msgId":"${msgId}"`), {
        stream: 'stderr',
        timeoutMs: 30_000,
      }),
    ),
  );
  return lines.filter((line) => line.includes('reply.failed'));
}

beforeAll(async () => {
  if (!redis) return;
  sim = await startWeComSimulator({
    apps: APPS.map(({ name, corpId, corpSecret, agentId }) => ({ name, corpId, corpSecret, agentId })),
  });
  // A slow first gettoken per app: the whole fleet's cold start piles up behind one refresh.
  sim.inject({ path: 'gettoken', delayMs: 2500, times: APPS.length });
  dir = tempDir('replicas-hermes-');
  // JSON is YAML: the adapter's `platforms.wecom_callback.extra` with both apps.
  const config = dir.write('config.yaml', hermesConfig(APPS, { port: 8645 }));
  fleet = await startFleet(
    HERMES_CALLBACK,
    REPLICAS,
    () => ['--config', config, '--port', '0', '--redis', redis.url],
    { WECOM_API_BASE: sim.url, WECOM_CALLBACK_ALLOW_ALL_USERS: 'true' },
  );
});

afterAll(async () => {
  await stopFleet(fleet);
  await sim?.close();
  dir?.remove();
});

describe.skipIf(!redis)('hermes-callback x4 on one Redis: one access token per app for the fleet', () => {
  it('every replica keeps its state in Redis and serves both apps', () => {
    expect(fleet).toHaveLength(REPLICAS);
    for (const replica of fleet)
      expect(logLines(replica, 'WeCom callback ready', { store: 'redis' })).toHaveLength(1);
  });

  it('4 x 50 concurrent callbacks at cold start: every one answered, exactly 1 gettoken per app', async () => {
    const sent = await burst('cold', PER_REPLICA);
    expect(sent).toHaveLength(REPLICAS * PER_REPLICA);
    expect(sent.filter((s) => s.status !== 200)).toEqual([]);
    expect(await outcomes(sent)).toEqual([]);
    for (const s of sent) {
      const bodies = accepted(`echo: ${s.content}`);
      expect(bodies).toHaveLength(1);
      // Through the app that received it, to the sender.
      expect(bodies[0]!.app).toBe(s.app.name);
      expect(bodies[0]!.body).toMatchObject({ agentid: s.app.agentId, msgtype: 'text' });
    }
    // Each replica warmed up and answered both apps, yet the fleet fetched one token per app.
    for (const app of APPS) expect(gettokens(app)).toBe(1);
    expect(sim.count('gettoken')).toBe(APPS.length);
    for (const app of APPS) {
      const refreshed = fleet.map(
        (r) => logLines(r, 'access token refreshed', { corpId: app.corpId }).length,
      );
      expect(refreshed.reduce((a, b) => a + b, 0)).toBe(1);
      for (const replica of fleet)
        expect(logLines(replica, 'access token ready', { app: app.name })).toHaveLength(1);
    }
    // No token was ever refused: the replicas that did not fetch it used the shared one.
    expect(sim.calls('message/send').filter((c) => c.fault || c.status !== 200)).toEqual([]);
  });

  it('after an injected 42001 a burst on all 4 replicas makes exactly one refresh per app', async () => {
    const before = Object.fromEntries(APPS.map((a) => [a.name, gettokens(a)]));
    const marks = fleet.map((r) => r.stderr.length);
    // WeCom expires every token it issued: each replica's next send is refused with 42001.
    expect(sim.expireTokens()).toBe(APPS.length);
    const sent = await burst('expired', 20);
    expect(sent.filter((s) => s.status !== 200)).toEqual([]);
    expect(await outcomes(sent)).toEqual([]);
    for (const s of sent) expect(accepted(`echo: ${s.content}`)).toHaveLength(1);

    const refused = sim
      .calls('message/send')
      .filter((c) => (c.response as { errcode?: number } | undefined)?.errcode === 42001);
    expect(refused.length).toBeGreaterThanOrEqual(REPLICAS);
    // Every replica met the 42001 itself and recovered…
    for (const [i, replica] of fleet.entries()) {
      const lines = replica.stderr.slice(marks[i]);
      expect(lines.filter((l) => l.includes('WeCom refused the access token')).length).toBeGreaterThan(0);
    }
    // …but the fleet fetched one new token per app.
    for (const app of APPS) expect(gettokens(app) - before[app.name]!).toBe(1);
    for (const app of APPS) {
      const refreshed = fleet.map(
        (r, i) =>
          r.stderr
            .slice(marks[i])
            .filter((l) => l.includes(': access token refreshed') && l.includes(`"corpId":"${app.corpId}"`))
            .length,
      );
      expect(refreshed.reduce((a, b) => a + b, 0)).toBe(1);
    }
  });
});
