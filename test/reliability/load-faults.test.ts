/**
 * Load with faults: 20,000 bot and app callbacks (mixed) at concurrency 100 against Express in a
 * child process, while a fault proxy in front of the simulated WeCom answers 20% of response_url,
 * message/send and gettoken calls with -1, 6000, 45009, 5xx or a dropped connection.
 *
 * Asserted: every callback answered 200; every reply started ends as exactly one reply.delivered
 * or reply.failed (with its reason); what the simulator accepted equals what the SDK reported
 * delivered (plus calls the proxy dropped after the simulator accepted them: the SDK cannot know,
 * reports them failed as unknown_outcome, and never resends); no response_url accepted twice, no
 * app reply sent twice; no unhandled rejection; resident memory back near its start after a GC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botText, startWeComSimulator, type WeComSimulator } from '../../packages/testing/src/index.ts';
import { FAULT_KINDS, type FaultProxy, startFaultProxy } from './lib/fault-proxy.ts';
import {
  type ChildStats,
  type MemoryFigures,
  pollUntil,
  runPool,
  type ServerChild,
  startServerChild,
  sum,
} from './lib/harness.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './lib/keys.ts';
import { seeded } from './lib/random.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

const TOTAL = 20_000;
const WARMUP = 600;
const CONCURRENCY = 100;
const DEADLINE_MS = 60;
/** Resident memory after the load may exceed the start by at most this, after a GC. */
const MEMORY_SLACK = 64 * 1024 * 1024;
/** Replies the bot may end with: every reason means "WeCom did not (knowingly) get it". */
const BOT_FAILURE_REASONS = ['api_error', 'http_error', 'unknown_outcome', 'network_error'];

let sim: WeComSimulator;
let proxy: FaultProxy;
let child: ServerChild;
/** response_url posts the simulator had received before the measured load. */
let postsBefore = 0;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
  proxy = await startFaultProxy({ upstream: sim.url, rate: 0, seed: 20_000 });
  child = await startServerChild({
    adapter: 'express',
    apiBase: proxy.url,
    botDeadlineMs: DEADLINE_MS,
    appDeadlineMs: DEADLINE_MS,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await child?.stop();
  await proxy?.close();
  await sim?.close();
});

interface Sent {
  statuses: Record<string, number>;
  bot: number;
  app: number;
  passiveReceived: { bot: number; app: number };
  replyErrors: number;
}

/** Sends `count` callbacks through the simulator's drivers: half bot, half app; 40% answered late. */
async function sendMixed(count: number, seed: number): Promise<Sent> {
  const random = seeded(seed);
  const botDriver = sim.bot({ token: BOT.token, encodingAESKey: BOT.encodingAESKey, aibotid: BOT.aibotid });
  const appDriver = sim.app({
    corpId: APP.corpId,
    agentId: APP.agentId,
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
  });
  const plan = Array.from({ length: count }, () => ({
    bot: random() < 0.5,
    late: random() < 0.4,
    user: `user${Math.floor(random() * 500)}`,
  }));
  const out: Sent = {
    statuses: {},
    bot: 0,
    app: 0,
    passiveReceived: { bot: 0, app: 0 },
    replyErrors: 0,
  };
  await runPool(count, CONCURRENCY, async (i) => {
    const p = plan[i]!;
    const text = `${p.late ? 'a' : 'p'}|${p.late ? DEADLINE_MS + 40 : 0}|${seed}-${i}|${'x'.repeat(200)}`;
    if (p.bot) {
      out.bot++;
      // The response_url goes through the fault proxy, like every other call to WeCom.
      const responseUrl = sim.createResponseUrl().replace(sim.url, proxy.url);
      const res = await botDriver.send(
        `${child.url}${BOT_PATH}`,
        botText({ content: text, from: p.user, aibotid: BOT.aibotid, responseUrl }),
        { redeliver: false, redeliverAfterMs: 30_000, strictReply: false },
      );
      countStatus(out.statuses, res.status);
      if (res.replyError) out.replyErrors++;
      if (res.reply !== null) out.passiveReceived.bot++;
    } else {
      out.app++;
      const res = await appDriver.send(`${child.url}${APP_PATH}`, text, {
        redeliver: false,
        redeliverAfterMs: 30_000,
        strictReply: false,
      });
      countStatus(out.statuses, res.status);
      if (res.replyError) out.replyErrors++;
      if (res.reply !== null) out.passiveReceived.app++;
    }
  });
  return out;
}

const settled = (s: ChildStats) =>
  s.bot.pending === 0 &&
  s.app.pending === 0 &&
  s.bot.started === s.bot.dispatched &&
  s.app.started === s.app.dispatched;

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

describe('load with faults', () => {
  let sent: Sent;
  let before: ChildStats;
  let after: ChildStats;
  let memStart: MemoryFigures;
  let memEnd: MemoryFigures;
  let heapStart: number;
  let heapEnd: number;

  beforeAll(async () => {
    // Warm-up without faults (JIT, pools, first token), then the baseline memory.
    const warm = await sendMixed(WARMUP, 1);
    expect(warm.statuses).toEqual({ 200: WARMUP });
    await pollUntil(() => child.stats(), settled, 30_000);
    sim.clearCalls();
    postsBefore = sim.responses().length;
    heapStart = (await child.gc()).heapUsed;
    memStart = await child.idleMemory(() => false, 2000);
    before = await child.stats();
    proxy.setRate(0.2);
    sent = await sendMixed(TOTAL, 2);
    after = await pollUntil(() => child.stats(), settled, 90_000, 200);
    proxy.setRate(0);
    // Resident memory once the idle server has given back what the load took (V8's memory
    // reducer), then the heap after a full collection.
    memEnd = await child.idleMemory((m) => m.rss < memStart.rss + MEMORY_SLACK, 30_000);
    heapEnd = (await child.gc()).heapUsed;
    const bot = {
      delivered: delta(after.bot.delivered, before.bot.delivered),
      failed: delta(after.bot.failed, before.bot.failed),
    };
    const app = {
      delivered: delta(after.app.delivered, before.app.delivered),
      failed: delta(after.app.failed, before.app.failed),
    };
    const faults = proxy.stats().faults;
    recordSummary({
      scenario: '1 load with faults (20,000 callbacks, 20% API faults)',
      sent: TOTAL,
      statuses: sent.statuses,
      delivered: sum(bot.delivered) + sum(app.delivered),
      failed: sum(bot.failed) + sum(app.failed),
      lost: after.bot.pending + after.app.pending,
      peakRss: after.memory.maxRss,
      notes:
        `bot ${JSON.stringify(bot)}, app ${JSON.stringify(app)}; proxy faults ${JSON.stringify(faults)}; ` +
        `server CPU ${(after.cpuMs / 1000).toFixed(1)} s; idle RSS ${(memStart.rss / 2 ** 20).toFixed(1)} → ${(memEnd.rss / 2 ** 20).toFixed(1)} MB, ` +
        `heap used ${(heapStart / 2 ** 20).toFixed(1)} → ${(heapEnd / 2 ** 20).toFixed(1)} MB`,
    });
  }, 150_000);

  it('answers every callback with 200 and a verifiable body', () => {
    expect(sent.statuses).toEqual({ 200: TOTAL });
    expect(sent.replyErrors).toBe(0);
    expect(sent.bot + sent.app).toBe(TOTAL);
  });

  it('injected every kind of fault', () => {
    const stats = proxy.stats();
    for (const kind of FAULT_KINDS) expect(stats.faults[kind], kind).toBeGreaterThan(0);
    const faultCount = sum(stats.faults);
    // About 20% of the calls (the seeded generator makes it exact per run).
    expect(faultCount / stats.calls).toBeGreaterThan(0.15);
    expect(faultCount / stats.calls).toBeLessThan(0.25);
  });

  it('dispatches each callback once and starts one reply for it', () => {
    expect(after.bot.dispatched - before.bot.dispatched).toBe(sent.bot);
    expect(after.app.dispatched - before.app.dispatched).toBe(sent.app);
    expect(after.bot.started - before.bot.started).toBe(sent.bot);
    expect(after.app.started - before.app.started).toBe(sent.app);
  });

  it('ends every reply as exactly one delivered or failed event, none lost', () => {
    for (const side of ['bot', 'app'] as const) {
      const started = after[side].started - before[side].started;
      const delivered = sum(after[side].delivered) - sum(before[side].delivered);
      const failed = sum(after[side].failed) - sum(before[side].failed);
      expect(after[side].pending, `${side} replies without an outcome`).toBe(0);
      expect(delivered + failed, side).toBe(started);
      expect(after[side].doubleOutcomes, side).toBe(0);
      expect(failed, `${side}: faults must have failed some replies`).toBeGreaterThan(0);
    }
    for (const reason of Object.keys(delta(after.bot.failed, before.bot.failed))) {
      expect(BOT_FAILURE_REASONS).toContain(reason);
    }
    for (const key of Object.keys(delta(after.app.failed, before.app.failed))) {
      expect(key).toMatch(/^api:(api_error|http_error|network_error|timeout|token_unavailable)$/);
    }
  });

  it('passive replies reached the caller exactly as reported', () => {
    expect(sent.passiveReceived.bot).toBe(
      (after.bot.delivered.passive ?? 0) - (before.bot.delivered.passive ?? 0),
    );
    expect(sent.passiveReceived.app).toBe(
      (after.app.delivered.passive ?? 0) - (before.app.delivered.passive ?? 0),
    );
  });

  it('delivers each response_url reply at most once, and as reported', () => {
    const posts = sim.responses().slice(postsBefore);
    const accepted = new Map<string, number>();
    for (const p of posts) if (p.result.errcode === 0) accepted.set(p.code, (accepted.get(p.code) ?? 0) + 1);
    expect([...accepted.values()].filter((n) => n > 1)).toEqual([]);
    // A post to a URL WeCom already consumed would mean a resend: never.
    expect(posts.filter((p) => p.result.errcode !== 0)).toEqual([]);
    const delivered = (after.bot.delivered.response_url ?? 0) - (before.bot.delivered.response_url ?? 0);
    const droppedAfterAccept = proxy.stats().acceptedThenDropped['aibot/response'] ?? 0;
    expect(accepted.size).toBe(delivered + droppedAfterAccept);
  });

  it('sends each active app reply at most once, and as reported', () => {
    const contents = sim
      .calls('message/send')
      .filter((c) => (c.response as { errcode?: number } | undefined)?.errcode === 0)
      .map((c) => (c.body as { text?: { content?: string } }).text?.content);
    expect(new Set(contents).size).toBe(contents.length);
    const delivered = (after.app.delivered.api ?? 0) - (before.app.delivered.api ?? 0);
    const droppedAfterAccept = proxy.stats().acceptedThenDropped['message/send'] ?? 0;
    expect(contents.length).toBe(delivered + droppedAfterAccept);
  });

  it('has no unhandled rejection or uncaught exception', () => {
    expect(after.unhandledRejections).toBe(0);
    expect(after.uncaughtExceptions).toBe(0);
    expect(child.process.exitCode).toBeNull();
  });

  it('returns resident memory near its start after the load, and keeps the heap bounded', () => {
    expect(memEnd.rss).toBeLessThan(memStart.rss + MEMORY_SLACK);
    expect(heapEnd).toBeLessThan(heapStart + MEMORY_SLACK);
  });
});
