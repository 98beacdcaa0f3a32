/**
 * Costs that grow with the work, each measured in a fresh process (started by growth.bench.ts with
 * --expose-gc) so memory figures belong to one experiment: `node --expose-gc --import tsx
 * bench/growth-child.ts dedup|streams|tokens '<json options>'`. Sends `{ result }` over IPC.
 */
import { type StreamWriter, WeComBot } from '../packages/bot/src/index.ts';
import { AccessTokenCache } from '../packages/callback/src/index.ts';
import { DEFAULT_STORE_MAX_ENTRIES, Deduper, MemoryStore, silentLogger } from '../packages/core/src/index.ts';
import {
  botStreamRefresh,
  botText,
  buildBotCallback,
  decryptBotReply,
  startWeComSimulator,
} from '../packages/testing/src/index.ts';
import { BOT_KEYS } from './lib/fixtures.ts';

export interface Memory {
  rss: number;
  heapUsed: number;
}

function memory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

export interface DedupResult {
  ids: number;
  bound: number;
  firstSeen: number;
  size: number;
  lastIsDuplicate: boolean;
  seconds: number;
  before: Memory;
  after: Memory;
}

async function dedup(options: { ids: number; bound: number }): Promise<DedupResult> {
  const store = new MemoryStore({ maxEntries: options.bound });
  const deduper = new Deduper({ store, ttlMs: 5 * 60_000, prefix: 'dedup:' });
  const before = memory();
  let firstSeen = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < options.ids; i++) {
    if (await deduper.first(`aibot-0123456789:msg${i.toString(36).padStart(12, '0')}`)) firstSeen++;
  }
  const seconds = ms(started) / 1000;
  const lastIsDuplicate = !(await deduper.first(
    `aibot-0123456789:msg${(options.ids - 1).toString(36).padStart(12, '0')}`,
  ));
  const after = memory();
  return {
    ids: options.ids,
    bound: options.bound,
    firstSeen,
    size: store.size,
    lastIsDuplicate,
    seconds,
    before,
    after,
  };
}

export interface StreamsResult {
  streams: number;
  storeBound: number;
  openMs: number;
  refreshUs: number;
  refreshConcurrentUs: number;
  found: number;
  finishedFound: number;
  before: Memory;
  after: Memory;
  sample: unknown;
}

/** Runs `task(i)` for every i with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function streams(options: { streams: number; storeBound?: number }): Promise<StreamsResult> {
  const n = options.streams;
  const store =
    options.storeBound === undefined ? undefined : new MemoryStore({ maxEntries: options.storeBound });
  const bot = new WeComBot({
    ...BOT_KEYS,
    receiveId: '',
    path: '/wecom/bot',
    logger: silentLogger,
    timestampWindow: false,
    ...(store ? { store } : {}),
  });
  const writers = new Map<string, StreamWriter>();
  bot.on('text', async (message, ctx) => {
    const writer = ctx.stream();
    writers.set(message.msgId, writer);
    await writer.append(`Thinking about ${message.msgId}…`);
  });
  // Every request is signed before measuring.
  const opens = Array.from({ length: n }, (_, i) =>
    buildBotCallback({
      ...BOT_KEYS,
      message: botText({
        content: 'stream please',
        msgid: `stream-msg-${i}`,
        from: `user-${i % 2000}`,
        responseUrl: `https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=s${i}`,
      }),
    }),
  );
  const receive = (r: { search: string; body: string }) =>
    bot.receive({ method: 'POST', url: `/wecom/bot${r.search}`, body: r.body });
  const before = memory();
  let started = process.hrtime.bigint();
  await pool(n, 50, async (i) => {
    const res = await receive(opens[i]!);
    if (res.status !== 200 || res.body === '') throw new Error(`open ${i}: ${res.status}`);
  });
  const openMs = ms(started);
  const after = memory();
  const ids = Array.from({ length: n }, (_, i) => writers.get(`stream-msg-${i}`)!.id);
  const refreshes = (round: string) =>
    ids.map((id, i) =>
      buildBotCallback({
        ...BOT_KEYS,
        message: botStreamRefresh(id, { msgid: `refresh-${round}-${i}`, from: `user-${i % 2000}` }),
      }),
    );
  // Refresh every stream once, one at a time (the cost of one refresh)...
  const first = refreshes('a');
  let found = 0;
  started = process.hrtime.bigint();
  for (const r of first) if ((await receive(r)).body !== '') found++;
  const refreshUs = (ms(started) * 1000) / n;
  // ...then more content, and every stream refreshed again, 50 at a time, then finished.
  await Promise.all([...writers.values()].map((w) => w.append(' and the answer is 42.')));
  const second = refreshes('b');
  started = process.hrtime.bigint();
  await pool(n, 50, async (i) => {
    await receive(second[i]!);
  });
  const refreshConcurrentUs = (ms(started) * 1000) / n;
  await Promise.all([...writers.values()].map((w) => w.finish()));
  const third = refreshes('c');
  let finishedFound = 0;
  let sample: unknown;
  for (const [i, r] of third.entries()) {
    const res = await receive(r);
    if (res.body === '') continue;
    const reply = decryptBotReply(res.body, { ...BOT_KEYS }) as { stream?: { finish?: boolean } };
    if (reply.stream?.finish) finishedFound++;
    if (i === n - 1) sample = reply;
  }
  await bot.close({ timeoutMs: 1000 });
  return {
    streams: n,
    storeBound: options.storeBound ?? DEFAULT_STORE_MAX_ENTRIES,
    openMs,
    refreshUs,
    refreshConcurrentUs,
    found,
    finishedFound,
    before,
    after,
    sample,
  };
}

export interface TokensResult {
  callers: number;
  gettoken: number;
  fetchCount: number;
  distinctTokens: number;
  ms: number;
  afterInvalidate: { gettoken: number; distinctTokens: number };
}

async function tokens(options: { callers: number }): Promise<TokensResult> {
  const app = {
    name: 'bench',
    corpId: 'wwbenchtokens',
    corpSecret: 'bench-corp-secret-0123456789',
    agentId: 1000002,
  };
  const sim = await startWeComSimulator({ apps: [app] });
  try {
    const cache = new AccessTokenCache({
      corpId: app.corpId,
      corpSecret: app.corpSecret,
      agentId: app.agentId,
      http: { baseUrl: sim.url },
    });
    const started = process.hrtime.bigint();
    const got = await Promise.all(Array.from({ length: options.callers }, () => cache.get()));
    const elapsed = ms(started);
    const gettoken = sim.count('gettoken');
    const fetchCount = cache.fetchCount;
    // WeCom invalidates the token: 1,000 callers report it stale at once; one refetch.
    await Promise.all(got.map((t) => cache.invalidate(t)));
    const again = await Promise.all(Array.from({ length: options.callers }, () => cache.get()));
    return {
      callers: options.callers,
      gettoken,
      fetchCount,
      distinctTokens: new Set(got).size,
      ms: elapsed,
      afterInvalidate: { gettoken: sim.count('gettoken') - gettoken, distinctTokens: new Set(again).size },
    };
  } finally {
    await sim.close();
  }
}

const parts = { dedup, streams, tokens } as const;
const [part, raw] = process.argv.slice(2);
const run = parts[part as keyof typeof parts] as (options: unknown) => Promise<unknown>;
const result = await run(JSON.parse(raw ?? '{}'));
if (process.send) {
  process.send({ result });
  process.disconnect();
} else console.log(JSON.stringify(result, null, 2));
