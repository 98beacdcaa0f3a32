/**
 * Graceful shutdown: SIGTERM reaches the server (Express in a child process) while callbacks keep
 * arriving and replies are in flight (listeners still working, WeCom's API answering slowly). The
 * child closes the bot and the router first (new callbacks get 503, which WeCom re-delivers; active
 * replies are drained), then the HTTP server, prints its counters and exits 0.
 *
 * Asserted: every callback answered 200 was dispatched and its reply started; every reply started
 * ended as reply.delivered or reply.failed (none lost); the simulator received exactly the replies
 * reported delivered; refused callbacks got 503 or no connection (never a 200 without dispatch);
 * and with a close timeout shorter than the replies in flight, those are reported failed, not
 * dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appText,
  botText,
  startWeComSimulator,
  type WeComSimulator,
} from '../../packages/testing/src/index.ts';
import { type FaultProxy, startFaultProxy } from './lib/fault-proxy.ts';
import {
  type ChildStats,
  pollUntil,
  resultLine,
  runPool,
  type ServerChild,
  startServerChild,
  sum,
} from './lib/harness.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './lib/keys.ts';
import { seeded } from './lib/random.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

const DEADLINE_MS = 100;

interface Run {
  statuses: Record<string, number>;
  accepted: { bot: number; app: number };
  sent: number;
  inFlightAtSigterm: number;
  result: ChildStats | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  posts: { accepted: number; refused: number };
  appSends: number;
}

let sim: WeComSimulator;
const proxies: FaultProxy[] = [];
const children: ServerChild[] = [];

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
});

afterAll(async () => {
  for (const c of children) await c.stop();
  for (const p of proxies) await p.close();
  await sim?.close();
});

/**
 * Sends `total` callbacks (bot and app in turn) at `concurrency`; SIGTERM goes out once
 * `sigtermAfter` of them were answered (or, with `sigtermAfter` = total, once every reply started).
 */
async function shutdownRun(options: {
  seed: number;
  total: number;
  concurrency: number;
  sigtermAfter: number;
  listenerDelay: (r: () => number) => number;
  apiDelayMs: number;
  closeTimeoutMs: number;
}): Promise<Run> {
  const proxy = await startFaultProxy({ upstream: sim.url, rate: 0, delayMs: options.apiDelayMs });
  proxies.push(proxy);
  const child = await startServerChild({
    adapter: 'express',
    apiBase: proxy.url,
    botDeadlineMs: DEADLINE_MS,
    appDeadlineMs: DEADLINE_MS,
    closeTimeoutMs: options.closeTimeoutMs,
    logLevel: 'silent',
  });
  children.push(child);
  const random = seeded(options.seed);
  const botDriver = sim.bot({ token: BOT.token, encodingAESKey: BOT.encodingAESKey, aibotid: BOT.aibotid });
  const appDriver = sim.app({
    corpId: APP.corpId,
    agentId: APP.agentId,
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
  });
  const codes: string[] = [];
  const appTexts = new Set<string>();
  const run: Run = {
    statuses: {},
    accepted: { bot: 0, app: 0 },
    sent: 0,
    inFlightAtSigterm: 0,
    result: undefined,
    exit: { code: null, signal: null },
    posts: { accepted: 0, refused: 0 },
    appSends: 0,
  };
  let answered = 0;
  let sigterm: Promise<void> | undefined;
  const sendSigterm = async () => {
    const s = await child.stats();
    run.inFlightAtSigterm =
      s.bot.dispatched -
      (sum(s.bot.delivered) + sum(s.bot.failed)) +
      (s.app.dispatched - (sum(s.app.delivered) + sum(s.app.failed)));
    child.process.kill('SIGTERM');
  };
  await runPool(options.total, options.concurrency, async (i) => {
    const text = `a|${options.listenerDelay(random)}|${options.seed}-${i}`;
    let status: number;
    run.sent++;
    if (i % 2 === 0) {
      const responseUrl = sim.createResponseUrl().replace(sim.url, proxy.url);
      codes.push(new URL(responseUrl).searchParams.get('response_code')!);
      const res = await botDriver.send(
        `${child.url}${BOT_PATH}`,
        botText({ content: text, aibotid: BOT.aibotid, from: `u${i}`, responseUrl }),
        { redeliver: false, redeliverAfterMs: 20_000, strictReply: false },
      );
      status = res.status;
      if (status === 200) run.accepted.bot++;
    } else {
      const msgId = String(7_200_000_000_000_000_000n + BigInt(options.seed * 100_000 + i));
      appTexts.add(`reply to ${msgId}`);
      const res = await appDriver.send(
        `${child.url}${APP_PATH}`,
        appText({ content: text, from: `u${i}`, corpId: APP.corpId, agentId: APP.agentId, msgId }),
        { redeliver: false, redeliverAfterMs: 20_000, strictReply: false },
      );
      status = res.status;
      if (status === 200) run.accepted.app++;
    }
    countStatus(run.statuses, status);
    answered++;
    if (answered === options.sigtermAfter && options.sigtermAfter < options.total) sigterm ??= sendSigterm();
  });
  if (options.sigtermAfter >= options.total) {
    // Every callback answered: wait until every listener has started its reply, then stop.
    await pollUntil(
      () => child.stats(),
      (s) => s.bot.started === s.bot.dispatched && s.app.started === s.app.dispatched,
      20_000,
    );
    sigterm = sendSigterm();
  }
  await sigterm;
  run.exit = await child.exited;
  run.result = resultLine(child.lines);
  for (const code of codes) {
    for (const post of sim.responses(code)) {
      if (post.result.errcode === 0) run.posts.accepted++;
      else run.posts.refused++;
    }
  }
  run.appSends = sim
    .messages(APP.name)
    .filter((m) => appTexts.has((m.body as { text?: { content?: string } }).text?.content ?? '')).length;
  return run;
}

function checkExit(run: Run): ChildStats {
  expect(run.exit).toEqual({ code: 0, signal: null });
  const r = run.result!;
  expect(r, 'the child printed its final counters').toBeDefined();
  // Callbacks refused during shutdown got 503 (WeCom re-delivers) or found the port closed.
  for (const status of Object.keys(run.statuses)) expect(['200', '503', '0']).toContain(status);
  expect(r.unhandledRejections).toBe(0);
  expect(r.uncaughtExceptions).toBe(0);
  return r;
}

/** Every callback answered 200 was dispatched and started its reply, which ended as one event. */
function checkNoneLost(run: Run, side: 'bot' | 'app'): void {
  const r = checkExit(run);
  expect(r[side].dispatched).toBe(run.accepted[side]);
  expect(r[side].started).toBe(r[side].dispatched);
  expect(sum(r[side].delivered) + sum(r[side].failed), `${side}: replies started = delivered + failed`).toBe(
    r[side].started,
  );
  expect(r[side].pending, side).toBe(0);
  expect(r[side].doubleOutcomes, side).toBe(0);
  // What WeCom received is exactly what was reported delivered.
  if (side === 'bot') {
    expect(run.posts.refused).toBe(0);
    expect(run.posts.accepted).toBe(r.bot.delivered.response_url ?? 0);
  } else {
    expect(run.appSends).toBe(r.app.delivered.api ?? 0);
  }
}

describe('graceful shutdown', () => {
  let drained: Run;
  let cut: Run;

  beforeAll(async () => {
    // SIGTERM in the middle of the traffic; close waits long enough for every reply.
    drained = await shutdownRun({
      seed: 7,
      total: 600,
      concurrency: 40,
      sigtermAfter: 300,
      listenerDelay: (r) => DEADLINE_MS + 20 + Math.floor(r() * 600),
      apiDelayMs: 150,
      closeTimeoutMs: 15_000,
    });
    // Every reply already on its way to a slow WeCom, and a close timeout shorter than that.
    cut = await shutdownRun({
      seed: 8,
      total: 100,
      concurrency: 50,
      sigtermAfter: 100,
      listenerDelay: () => DEADLINE_MS + 20,
      apiDelayMs: 3000,
      closeTimeoutMs: 300,
    });
    for (const [label, run] of [
      ['4 shutdown: SIGTERM mid-traffic, replies drained', drained],
      ['5 shutdown: close timeout shorter than replies in flight', cut],
    ] as const) {
      const r = run.result;
      recordSummary({
        scenario: label,
        sent: run.sent,
        statuses: run.statuses,
        delivered: r ? sum(r.bot.delivered) + sum(r.app.delivered) : 0,
        failed: r ? sum(r.bot.failed) + sum(r.app.failed) : 0,
        lost: r
          ? r.bot.started -
            sum(r.bot.delivered) -
            sum(r.bot.failed) +
            (r.app.started - sum(r.app.delivered) - sum(r.app.failed))
          : -1,
        peakRss: r?.memory.maxRss ?? 0,
        notes:
          `${run.inFlightAtSigterm} replies in flight at SIGTERM; exit ${run.exit.code ?? run.exit.signal}; ` +
          `failed ${JSON.stringify({ bot: r?.bot.failed, app: r?.app.failed })}`,
      });
    }
  }, 120_000);

  it('drains replies in flight when SIGTERM arrives mid-traffic, and loses none', () => {
    expect(drained.inFlightAtSigterm).toBeGreaterThan(0);
    expect((drained.statuses['503'] ?? 0) + (drained.statuses['0'] ?? 0)).toBeGreaterThan(0);
    checkNoneLost(drained, 'bot');
    checkNoneLost(drained, 'app');
    // A long enough close delivers everything (no faults in this run).
    expect(sum(drained.result!.bot.failed) + sum(drained.result!.app.failed)).toBe(0);
  });

  it('bot: reports replies it could not finish before the close timeout as failed (closed)', () => {
    expect(cut.inFlightAtSigterm).toBeGreaterThan(0);
    checkNoneLost(cut, 'bot');
    expect(Object.keys(cut.result!.bot.failed)).toEqual(['closed']);
    expect(cut.result!.bot.failed.closed).toBeGreaterThan(0);
  });

  // CallbackRouter.close({ timeoutMs }) aborts the message/send replies still in flight when the
  // timeout runs out and reports each as reply.failed (code 'closed'): none finishes unseen.
  it('router: reports replies it could not finish before the close timeout as failed (closed)', () => {
    checkNoneLost(cut, 'app');
    expect(Object.keys(cut.result!.app.failed)).toEqual(['api:closed']);
    expect(cut.result!.app.failed['api:closed']).toBeGreaterThan(0);
  });
});
