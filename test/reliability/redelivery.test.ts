/**
 * Re-delivery: WeCom re-sends a callback (same msgid, fresh timestamp and nonce) when no answer
 * reached it in time, up to 3 deliveries in total. Here every answer is held back on its way to
 * WeCom (a slow uplink) longer than the simulator's re-delivery interval, so each message is
 * delivered 3 times while its listener is still busy (listeners are slower than the interval too).
 *
 * Asserted: each listener runs once; each message gets exactly one reply — one response_url post
 * (bot) or one message/send (app) when the listener answers after the deadline, and no post at all
 * when the one passive reply was lost with its answer — and one outcome event per reply.
 * Scaled-down times stand in for WeCom's (re-delivery after 5 s, deadline 4 s).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeComBot } from '../../packages/bot/src/index.ts';
import { CallbackRouter } from '../../packages/callback/src/index.ts';
import { silentLogger, toNodeListener } from '../../packages/core/src/index.ts';
import {
  appText,
  botText,
  startWeComSimulator,
  type WeComSimulator,
} from '../../packages/testing/src/index.ts';
import { runPool } from './lib/harness.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './lib/keys.ts';
import { countStatus, recordSummary } from './lib/summary.ts';

// 150 ms of margin on each side of the deadline for the re-deliveries (a loaded CI machine).
const REDELIVER_AFTER_MS = 300;
const DEADLINE_MS = 450;
/** Listeners take longer than the re-delivery interval (and, for 'late', well past the deadline). */
const LISTENER_MS = 1000;
/** Every answer reaches WeCom this late: after the re-delivery interval. */
const UPLINK_DELAY_MS = 700;
const MESSAGES = 20;

let sim: WeComSimulator;
let server: Server;
let url: string;
const calls = new Map<string, number>();
const outcomes = new Map<string, string[]>();
const duplicates = new Map<string, number>();
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
const note = (key: string, what: string) => outcomes.set(key, [...(outcomes.get(key) ?? []), what]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let bot: WeComBot;
let router: CallbackRouter;

beforeAll(async () => {
  sim = await startWeComSimulator({
    apps: [{ name: APP.name, corpId: APP.corpId, corpSecret: APP.corpSecret, agentId: APP.agentId }],
  });
  bot = new WeComBot({
    token: BOT.token,
    encodingAESKey: BOT.encodingAESKey,
    receiveId: '',
    path: BOT_PATH,
    deadlineMs: DEADLINE_MS,
    logger: silentLogger,
  });
  bot.on('text', async (message, ctx) => {
    bump(calls, message.msgId);
    if (message.text.startsWith('late')) await sleep(LISTENER_MS);
    await ctx.reply(`reply to ${message.msgId}`);
  });
  bot.on('reply.delivered', (r) => note(r.msgId!, `delivered:${r.channel}`));
  bot.on('reply.failed', (r) => note(r.msgId!, `failed:${r.reason}`));
  router = new CallbackRouter({
    app: { ...APP },
    path: APP_PATH,
    deadlineMs: DEADLINE_MS,
    http: { baseUrl: sim.url },
    logger: silentLogger,
  });
  router.on('text', async (message, ctx) => {
    bump(calls, message.msgId);
    await sleep(LISTENER_MS);
    await ctx.reply(`reply to ${message.msgId}`);
  });
  router.on('reply.delivered', (info) => note(info.chatId, `delivered:${info.channel}`));
  router.on('reply.failed', (info) => note(info.chatId, `failed:${info.channel}`));
  router.on('duplicate', (info) => bump(duplicates, info.key));
  const listener = toNodeListener(bot, { next: toNodeListener(router) });
  server = createServer((req, res) => {
    // The slow uplink: the answer is written, but reaches WeCom only after UPLINK_DELAY_MS.
    const end = res.end.bind(res) as (...args: unknown[]) => void;
    res.end = ((...args: unknown[]) => {
      setTimeout(() => end(...args), UPLINK_DELAY_MS);
      return res;
    }) as typeof res.end;
    listener(req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await bot?.close({ timeoutMs: 2000 });
  await router?.close({ timeoutMs: 2000 });
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
  await sim?.close();
});

describe('re-delivery of unanswered callbacks', () => {
  const statuses: Record<string, number> = {};
  let sent = 0;
  const botLate: { msgid: string; responseUrl: string; deliveries: number }[] = [];
  const botPassive: { msgid: string; responseUrl: string; deliveries: number }[] = [];
  const apps: { msgId: string; chatId: string; deliveries: number }[] = [];

  beforeAll(async () => {
    const botDriver = sim.bot({ token: BOT.token, encodingAESKey: BOT.encodingAESKey });
    const appDriver = sim.app({
      corpId: APP.corpId,
      agentId: APP.agentId,
      token: APP.token,
      encodingAESKey: APP.encodingAESKey,
    });
    const delivery = { redeliverAfterMs: REDELIVER_AFTER_MS, maxDeliveries: 3 };
    await runPool(MESSAGES * 3, MESSAGES * 3, async (i) => {
      const kind = i % 3;
      if (kind < 2) {
        const responseUrl = sim.createResponseUrl();
        const message = botText({ content: kind === 0 ? 'late' : 'now', from: `bot-user-${i}`, responseUrl });
        const res = await botDriver.send(`${url}${BOT_PATH}`, message, delivery);
        for (const a of res.attempts) countStatus(statuses, a.status);
        sent += res.deliveries;
        (kind === 0 ? botLate : botPassive).push({
          msgid: String(message.msgid),
          responseUrl,
          deliveries: res.deliveries,
        });
      } else {
        const msgId = String(7_100_000_000_000_000_000n + BigInt(i));
        const from = `app-user-${i}`;
        const res = await appDriver.send(
          `${url}${APP_PATH}`,
          appText({ content: 'late', from, corpId: APP.corpId, agentId: APP.agentId, msgId }),
          delivery,
        );
        for (const a of res.attempts) countStatus(statuses, a.status);
        sent += res.deliveries;
        apps.push({ msgId, chatId: `${APP.corpId}:${APP.agentId}:${from}`, deliveries: res.deliveries });
      }
    });
    // Let the late replies finish (the listeners outlived every delivery).
    await bot.close({ timeoutMs: 10_000 });
    await router.close({ timeoutMs: 10_000 });
    const all = [...botLate, ...botPassive].map((m) => m.msgid).concat(apps.map((a) => a.chatId));
    const delivered = all.filter((k) => outcomes.get(k)?.[0]?.startsWith('delivered')).length;
    recordSummary({
      scenario: '2 re-delivery (3 deliveries, slow listener)',
      sent,
      statuses,
      delivered,
      failed: all.filter((k) => outcomes.get(k)?.[0]?.startsWith('failed')).length,
      lost: all.filter((k) => (outcomes.get(k) ?? []).length === 0).length,
      peakRss: process.resourceUsage().maxRSS * 1024,
      notes: `${MESSAGES * 3} messages, each delivered 3 times with no answer in time ("none"); 1 listener run and 1 reply each (${MESSAGES} passive replies were lost with their answers, as WeCom would see it)`,
    });
  }, 60_000);

  it('delivered every message 3 times (no answer arrived in time)', () => {
    for (const m of [...botLate, ...botPassive, ...apps]) expect(m.deliveries).toBe(3);
    expect(statuses).toEqual({ 0: MESSAGES * 3 * 3 });
  });

  it('ran each listener once', () => {
    for (const m of [...botLate, ...botPassive]) expect(calls.get(m.msgid), m.msgid).toBe(1);
    for (const a of apps) expect(calls.get(a.msgId), a.msgId).toBe(1);
    expect(calls.size).toBe(MESSAGES * 3);
  });

  it('bot: a late reply goes to the response_url exactly once', () => {
    for (const m of botLate) {
      const posts = sim.responses(m.responseUrl);
      expect(posts.map((p) => p.result.errcode)).toEqual([0]);
      expect(outcomes.get(m.msgid)).toEqual(['delivered:response_url']);
    }
  });

  it('bot: a passive reply is never repeated by the re-deliveries, nor sent again actively', () => {
    for (const m of botPassive) {
      expect(sim.responses(m.responseUrl)).toEqual([]);
      expect(outcomes.get(m.msgid)).toEqual(['delivered:passive']);
    }
  });

  it('app: a late reply is sent once through message/send; re-deliveries are duplicates', () => {
    const sentTexts = sim
      .messages(APP.name)
      .map((m) => (m.body as { text?: { content?: string } }).text?.content);
    for (const a of apps) {
      expect(sentTexts.filter((t) => t === `reply to ${a.msgId}`)).toHaveLength(1);
      expect(outcomes.get(a.chatId)).toEqual(['delivered:api']);
    }
    // The copy at 300 ms finds the first still being handled (answered at the 450 ms deadline, its
    // claim held until then): 503, not a duplicate. The copy at 600 ms finds it answered: a duplicate.
    expect([...duplicates.values()].reduce((x, y) => x + y, 0)).toBe(MESSAGES);
  });
});
