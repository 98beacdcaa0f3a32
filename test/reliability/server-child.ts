/**
 * The server under test of the reliability suite, run as a child process:
 * `node --expose-gc --import tsx test/reliability/server-child.ts '<json config>'`.
 *
 * One framework (Express by default) serves a WeComBot on /wecom/bot and a CallbackRouter on
 * /wecom/callback. Their text listeners read a directive from the message text, `<mode>|<delayMs>|…`:
 * wait `delayMs`, then reply (`p` passes its delay to nobody: within the deadline the reply is
 * passive, after it the bot posts to the message's response_url and the router calls message/send).
 *
 * It counts, per reply, what was started and how it ended (the `reply.delivered` / `reply.failed`
 * events), and every unhandled rejection and uncaught exception. IPC: 'stats' → `{ stats }`,
 * 'gc' → `{ gc }` (memory after two full collections), 'stop' or SIGTERM → graceful shutdown
 * (handlers closed first: in-flight replies drained; then the server), final counters printed as
 * one `RESULT {json}` line and sent as `{ result }`, exit code 0.
 */

import { type AdapterName, serve } from '../../bench/lib/frameworks.ts';
import { WeComBot } from '../../packages/bot/src/index.ts';
import { CallbackRouter } from '../../packages/callback/src/index.ts';
import {
  createConsoleLogger,
  type Logger,
  type LogLevel,
  silentLogger,
} from '../../packages/core/src/index.ts';
import { APP, APP_PATH, BOT, BOT_PATH } from './lib/keys.ts';

export interface ServerChildConfig {
  adapter?: AdapterName;
  /** Base URL of WeCom's API for the router (the fault proxy). */
  apiBase: string;
  logLevel?: LogLevel | 'silent';
  botDeadlineMs?: number;
  appDeadlineMs?: number;
  /** How long close() may drain in-flight replies. */
  closeTimeoutMs?: number;
  /** The server's headersTimeout (slow-header connections are cut after it). Default Node's. */
  headersTimeoutMs?: number;
}

export interface ReplyCounters {
  /** Callbacks dispatched to the text listener. */
  dispatched: number;
  /** Replies the listener started (called ctx.reply). */
  started: number;
  /** `reply.delivered` events, by channel. */
  delivered: Record<string, number>;
  /** `reply.failed` events, by reason (bot) or error code (router). */
  failed: Record<string, number>;
  /** Replies that ended with more than one outcome event (must be 0). */
  doubleOutcomes: number;
  /** Replies started and never ended by an event (must be 0 once settled). */
  pending: number;
  /** 'error' events (a listener threw, the store failed…). */
  errors: number;
}

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** Peak resident memory of the process so far. */
  maxRss: number;
}

export interface ChildStats {
  bot: ReplyCounters;
  app: ReplyCounters;
  unhandledRejections: number;
  uncaughtExceptions: number;
  memory: MemoryFigures;
  /** CPU time the child used so far (user + system), ms. */
  cpuMs: number;
  /** Most TCP connections the server held open at once. */
  peakConnections: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ServerChildConfig;
const unhandled = { rejections: 0, exceptions: 0 };
process.on('unhandledRejection', (reason) => {
  unhandled.rejections++;
  console.error('[server-child] unhandled rejection', (reason as Error)?.message ?? String(reason));
});
process.on('uncaughtException', (error) => {
  unhandled.exceptions++;
  console.error('[server-child] uncaught exception', error?.message);
});

function logger(name: string): Logger {
  const level = config.logLevel ?? 'error';
  return level === 'silent' ? silentLogger : createConsoleLogger({ level, name });
}

function counters(): ReplyCounters {
  return { dispatched: 0, started: 0, delivered: {}, failed: {}, doubleOutcomes: 0, pending: 0, errors: 0 };
}
const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** `<mode>|<delayMs>|…` → the delay before replying. */
function delayOf(text: string): number {
  const delay = Number(text.split('|', 3)[1]);
  return Number.isFinite(delay) && delay > 0 ? delay : 0;
}

// ---- the bot ---------------------------------------------------------------------------------
const botCounters = counters();
/** msgid → outcome events seen for its reply. */
const botOutcomes = new Map<string, number>();
const bot = new WeComBot({
  token: BOT.token,
  encodingAESKey: BOT.encodingAESKey,
  receiveId: '',
  aibotId: BOT.aibotid,
  path: BOT_PATH,
  deadlineMs: config.botDeadlineMs ?? 200,
  logger: logger('wecom-bot'),
});
bot.on('text', async (message, ctx) => {
  botCounters.dispatched++;
  const delay = delayOf(message.text);
  if (delay > 0) await sleep(delay);
  botCounters.started++;
  botOutcomes.set(message.msgId, 0);
  await ctx.reply(`reply to ${message.msgId}`);
});
const botOutcome = (msgid: string | undefined) => {
  if (msgid === undefined || !botOutcomes.has(msgid)) return;
  const seen = botOutcomes.get(msgid)! + 1;
  botOutcomes.set(msgid, seen);
  if (seen === 2) botCounters.doubleOutcomes++;
};
bot.on('reply.delivered', (result) => {
  bump(botCounters.delivered, result.channel);
  botOutcome(result.msgId);
});
bot.on('reply.failed', (result) => {
  bump(botCounters.failed, result.reason);
  botOutcome(result.msgId);
});
bot.on('error', () => {
  botCounters.errors++;
});

// ---- the router ------------------------------------------------------------------------------
const appCounters = counters();
let appOutcomes = 0;
const router = new CallbackRouter({
  app: {
    name: APP.name,
    corpId: APP.corpId,
    corpSecret: APP.corpSecret,
    agentId: APP.agentId,
    token: APP.token,
    encodingAESKey: APP.encodingAESKey,
  },
  path: APP_PATH,
  deadlineMs: config.appDeadlineMs ?? 200,
  http: { baseUrl: config.apiBase, timeoutMs: 5000 },
  rateLimitRetry: { attempts: 3, baseMs: 200 },
  logger: logger('wecom-callback'),
});
router.on('text', async (message, ctx) => {
  appCounters.dispatched++;
  const delay = delayOf(message.content);
  if (delay > 0) await sleep(delay);
  appCounters.started++;
  // ctx.reply rejects when delivery fails; the outcome is counted from the events.
  await ctx.reply(`reply to ${message.msgId}`).catch(() => undefined);
});
router.on('reply.delivered', (info) => {
  appOutcomes++;
  bump(appCounters.delivered, info.channel);
});
router.on('reply.failed', (info) => {
  appOutcomes++;
  const code = (info.error as { code?: unknown })?.code;
  bump(appCounters.failed, `${info.channel}:${typeof code === 'string' ? code : 'error'}`);
});
router.on('error', () => {
  appCounters.errors++;
});

function memory(): MemoryFigures {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

function stats(): ChildStats {
  botCounters.pending = [...botOutcomes.values()].filter((n) => n === 0).length;
  appCounters.pending = appCounters.started - appOutcomes;
  return {
    bot: structuredClone(botCounters),
    app: structuredClone(appCounters),
    unhandledRejections: unhandled.rejections,
    uncaughtExceptions: unhandled.exceptions,
    memory: memory(),
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    peakConnections: connections.peak,
  };
}

const served = await serve(config.adapter ?? 'express', [bot, router], { bare: false });
if (config.headersTimeoutMs !== undefined) served.server.headersTimeout = config.headersTimeoutMs;
const connections = { open: 0, peak: 0 };
served.server.on('connection', (socket) => {
  connections.open++;
  connections.peak = Math.max(connections.peak, connections.open);
  socket.once('close', () => connections.open--);
});

let stopping: Promise<void> | undefined;
function shutdown(): Promise<void> {
  stopping ??= (async () => {
    const timeoutMs = config.closeTimeoutMs ?? 10_000;
    // Handlers first: new callbacks get 503 (WeCom re-delivers), replies in flight are drained.
    await Promise.all([bot.close({ timeoutMs }), router.close({ timeoutMs })]);
    await served.close();
    const result = stats();
    console.log(`RESULT ${JSON.stringify(result)}`);
    if (process.connected) process.send?.({ result });
    process.exit(0);
  })();
  return stopping;
}

process.on('SIGTERM', () => void shutdown());
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ stats: stats() });
  else if (message === 'gc') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ gc: memory() });
  } else if (message === 'stop') void shutdown();
});
process.send?.({ ready: true, port: served.port });
