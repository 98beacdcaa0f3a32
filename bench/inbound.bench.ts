/**
 * The whole inbound path over real HTTP on loopback, per adapter, against the same framework's bare
 * `200 success` route; then app callbacks through the multi-app router with 1, 10 and 100 apps.
 * The server runs in a child process, autocannon here. Prints figures and ratios; asserts nothing.
 *
 * Run alone: node --import tsx bench/inbound.bench.ts [--duration 6] [--warmup 1] [--only bot|app]
 */
import autocannon from 'autocannon';
import type { InboundServerConfig } from './inbound-server.ts';
import { benchFromDist, type ChildServer, startChild } from './lib/child.ts';
import { appCallbackPool, benchApps, botCallbackPool, type PooledRequest } from './lib/fixtures.ts';
import { ADAPTER_LABELS, ADAPTERS, type AdapterName, BARE_PATH, FLOOR_PATH } from './lib/frameworks.ts';
import { fmt, table } from './lib/table.ts';

export interface InboundOptions {
  /** Seconds measured per route, split into `rounds` interleaved runs. */
  duration: number;
  /**
   * Runs per route, interleaved (bare, floor, WeCom, bare, …): a burst of load from elsewhere on
   * the machine hits every route alike, and the median run counts. Default 3.
   */
  rounds?: number;
  /** Seconds of warm-up per route before measuring. */
  warmup: number;
  connections: number;
  only?: 'bot' | 'app' | undefined;
  adapters?: readonly AdapterName[];
  appCounts?: readonly number[];
}

export interface RouteFigures {
  rps: number;
  /** CPU time of the server process per request, µs (user + system): robust to load elsewhere. */
  cpuUs: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export interface InboundRow {
  label: string;
  adapter?: AdapterName;
  bare: RouteFigures;
  /** The hand-written floor route: verify, decrypt, parse, encrypt the reply; nothing else. */
  floor: RouteFigures;
  wecom: RouteFigures;
  /** WeCom route / bare route. */
  ratio: number;
  /** True when the signed pool ran out and requests were re-sent (they then hit the replay check). */
  poolWrapped: boolean;
}

export interface InboundResults {
  bot: InboundRow[];
  app: InboundRow[];
}

export const CONTENT_TYPE = { bot: 'application/json', app: 'text/xml' } as const;

export function figures(result: autocannon.Result, cpuUs: number): RouteFigures {
  return {
    // Answered requests over the run's length (the same as the mean of its 1 s samples when the
    // samples were 1 s, which `run` no longer uses).
    rps: result.requests.total / Math.max(result.duration, 0.01),
    cpuUs: cpuUs / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** The run with the median throughput (its latencies with it); errors summed over all runs. */
export function median(runs: RouteFigures[]): RouteFigures {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return {
    ...mid,
    requests: runs.reduce((n, r) => n + r.requests, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

/** One raw HTTP/1.1 request, built once before measuring (the load generator only writes bytes). */
export interface RawRequest {
  requestBuffer: Buffer;
}

export function rawRequest(path: string, body: string, contentType: string): RawRequest {
  const bytes = Buffer.from(body);
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n` +
    `content-type: ${contentType}\r\nContent-Length: ${bytes.length}\r\n\r\n`;
  return { requestBuffer: Buffer.concat([Buffer.from(head), bytes]) };
}

/**
 * A cursor over pre-built requests, shared by every autocannon connection. The array may grow
 * between runs (a SignedPool's), so a wrap is noted when it happens.
 */
export class Cursor {
  next = 0;
  /** True once a request was taken a second time (past the end, from the start again). */
  wrapped = false;
  constructor(readonly requests: readonly RawRequest[]) {}
  take(): RawRequest {
    if (this.next >= this.requests.length) this.wrapped = true;
    return this.requests[this.next++ % this.requests.length]!;
  }
}

/**
 * Unique signed requests, made on demand and kept, one array per route (index i is the i-th
 * callback on each). Before each run, `reserve` makes enough for the run at twice the fastest rate
 * seen so far on the pool (at `firstRate` before its first run), in chunks; nothing is made during
 * a run. Rows that share a pool each start from its first request (each row has a fresh server),
 * so the pool grows to what its fastest row needs instead of being sized for a rate cap up front.
 */
export class SignedPool<R extends string> {
  readonly routes: Record<R, RawRequest[]>;
  private fastest = 0;
  constructor(
    routes: readonly R[],
    /** Makes requests `first`… `first + count - 1`, `count` for every route. */
    private readonly sign: (first: number, count: number) => Record<R, RawRequest[]>,
    /** Requests per second assumed before the first run has been seen. */
    private readonly firstRate: number,
  ) {
    this.routes = Object.fromEntries(routes.map((r) => [r, []])) as unknown as Record<R, RawRequest[]>;
  }
  get size(): number {
    return (Object.values(this.routes) as RawRequest[][])[0]!.length;
  }
  /** Makes requests until there are `count`. */
  async fill(count: number): Promise<void> {
    while (this.size < count) {
      await yieldToLoop();
      const more = this.sign(this.size, Math.min(SIGN_CHUNK, count - this.size));
      for (const route of Object.keys(this.routes) as R[]) this.routes[route].push(...more[route]);
    }
  }
  /** Before a run of `seconds` from `cursor`: enough requests after it (the runs end up to ~0.1 s late). */
  reserve(cursor: Cursor, seconds: number): Promise<void> {
    const rate = this.fastest > 0 ? 2 * this.fastest : this.firstRate;
    return this.fill(cursor.next + Math.ceil(rate * (seconds + 0.1)) + SIGN_CHUNK);
  }
  /** After a run: it took `taken` requests in `seconds`. */
  observe(taken: number, seconds: number): void {
    this.fastest = Math.max(this.fastest, taken / Math.max(seconds, 0.01));
  }
  /** `run` with room reserved first and the rate noted after. */
  async run(...args: Parameters<typeof run>): Promise<autocannon.Result> {
    const [, seconds, , cursor] = args;
    await this.reserve(cursor, seconds);
    const from = cursor.next;
    const result = await run(...args);
    this.observe(cursor.next - from, result.duration);
    return result;
  }
}

/** Requests signed per chunk (the event loop runs between chunks). */
const SIGN_CHUNK = 250;

/** autocannon's sample interval in `run`, ms. */
const SAMPLE_MS = 20;

/**
 * autocannon with requests taken from a cursor. autocannon's `setupRequest` rebuilds every request
 * (about a third of a core at these rates, which would throttle the measurement); `setupClient`
 * instead hands each connection the next pre-built buffer. `rate`: at most that many requests
 * per second over all connections (a fixed offered load), else as fast as they are answered.
 */
export function run(
  url: string,
  seconds: number,
  connections: number,
  cursor: Cursor,
  rate?: number,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    // autocannon looks at its stop flag once per sample, every 1 s by default: a 0.4 s run would
    // last a whole second. Sampled every 20 ms, a run ends within a few tens of ms of its set time.
    sampleInt: SAMPLE_MS,
    pipelining: 1,
    timeout: 10,
    setupClient: (client) => {
      const iterator = client.requestIterator;
      iterator.currentRequest = cursor.take();
      iterator.nextRequest = () => {
        iterator.currentRequest = cursor.take();
        return iterator.currentRequest;
      };
    },
  });
}

/** Bare, floor and WeCom routes on one child server: each warmed up, then measured in interleaved rounds. */
async function measurePair(
  label: string,
  child: ChildServer,
  pool: RawPool,
  options: InboundOptions,
): Promise<InboundRow> {
  const wecom = new Cursor(pool.signed.routes.wecom);
  const bare = new Cursor(pool.bare);
  const floor = new Cursor(pool.floor);
  // The WeCom route needs a new request each time (its msgid is remembered); the others may repeat.
  const go = (cursor: Cursor, seconds: number) =>
    cursor === wecom
      ? pool.signed.run(child.url, seconds, options.connections, cursor)
      : run(child.url, seconds, options.connections, cursor);
  if (options.warmup > 0) {
    for (const cursor of [bare, floor, wecom]) await go(cursor, options.warmup);
  }
  const rounds = options.rounds ?? 3;
  const seconds = options.duration / rounds;
  const cpu = () => child.request<number>('cpu', 'cpu');
  const measure = async (cursor: Cursor) => {
    if (cursor === wecom) await pool.signed.reserve(cursor, seconds);
    const before = await cpu();
    const result = await go(cursor, seconds);
    return figures(result, (await cpu()) - before);
  };
  const runs: { bare: RouteFigures[]; floor: RouteFigures[]; wecom: RouteFigures[] } = {
    bare: [],
    floor: [],
    wecom: [],
  };
  for (let i = 0; i < rounds; i++) {
    runs.bare.push(await measure(bare));
    runs.floor.push(await measure(floor));
    runs.wecom.push(await measure(wecom));
  }
  const bareResult = median(runs.bare);
  const floorResult = median(runs.floor);
  const wecomResult = median(runs.wecom);
  const stats = await child.request<{ replies: number }>('stats', 'stats');
  if (stats.replies === 0) throw new Error(`${label}: the listener never ran (misconfigured benchmark)`);
  return {
    label,
    bare: bareResult,
    floor: floorResult,
    wecom: wecomResult,
    ratio: wecomResult.rps / bareResult.rps,
    poolWrapped: wecom.wrapped,
  };
}

/** Bare and floor requests per pool (they may repeat: neither route remembers a msgid). */
const BARE_POOL = 5000;

/** Requests per second the WeCom route is assumed to reach before its first run (a fast machine's). */
const WECOM_FIRST_RATE = 12_000;

/**
 * A row's requests: the signed WeCom requests (made on demand), and the first 5000 of them again
 * to the bare and floor routes with the same query and body (same size on the wire; the bare
 * route ignores them).
 */
export interface RawPool {
  signed: SignedPool<'wecom'>;
  bare: readonly RawRequest[];
  floor: readonly RawRequest[];
}

export async function rawPool(config: InboundServerConfig): Promise<RawPool> {
  const wecomPath = config.kind === 'bot' ? '/wecom/bot' : '/wecom/callback';
  const type = CONTENT_TYPE[config.kind];
  const count = config.apps ?? 1;
  // The target is the last app: every app's signature is computed anyway (no "first match wins").
  const target = benchApps(count)[count - 1]!;
  const make = (first: number, n: number): PooledRequest[] =>
    config.kind === 'bot'
      ? botCallbackPool(n, wecomPath, 1024, first)
      : appCallbackPool(n, wecomPath, target, 1024, first);
  const signed = new SignedPool(
    ['wecom'],
    (first, n) => ({ wecom: make(first, n).map((r) => rawRequest(r.path, r.body, type)) }),
    WECOM_FIRST_RATE,
  );
  const firsts = await inChunks(BARE_POOL, make, SIGN_CHUNK);
  signed.routes.wecom.push(...firsts.map((r) => rawRequest(r.path, r.body, type)));
  const onPath = (path: string) =>
    firsts.map((r) => rawRequest(path + r.path.slice(wecomPath.length), r.body, type));
  return { signed, bare: onPath(BARE_PATH), floor: onPath(FLOOR_PATH) };
}

/** One inbound row: its label and the config of its server child (bench/inbound-server.ts). */
export interface PlannedRow {
  label: string;
  config: InboundServerConfig & { adapter: AdapterName };
}

/**
 * The rows of `runInbound`, in order: (b) the bot callback per adapter; (c) the app-count series on
 * node:http, then 10 apps through every other adapter.
 */
export function planInbound(options: InboundOptions): PlannedRow[] {
  const adapters = options.adapters ?? ADAPTERS;
  const rows: PlannedRow[] = [];
  if (options.only !== 'app') {
    for (const adapter of adapters)
      rows.push({ label: ADAPTER_LABELS[adapter], config: { adapter, kind: 'bot' } });
  }
  if (options.only !== 'bot') {
    const counts = options.appCounts ?? [1, 10, 100];
    const apps = (count: number) => `${count} app${count === 1 ? '' : 's'}`;
    for (const count of counts)
      rows.push({ label: apps(count), config: { adapter: 'node', kind: 'app', apps: count } });
    if (counts.includes(10)) {
      for (const adapter of adapters) {
        if (adapter !== 'node') {
          rows.push({
            label: `${apps(10)}, ${ADAPTER_LABELS[adapter]}`,
            config: { adapter, kind: 'app', apps: 10 },
          });
        }
      }
    }
  }
  return rows;
}

/** The pool a row takes its requests from: one per kind and app count, shared by the adapters. */
const poolKey = (config: InboundServerConfig) => (config.kind === 'bot' ? 'bot' : `app:${config.apps ?? 1}`);

export interface InboundPrepared {
  rows: readonly PlannedRow[];
  /** Each row's server child, in row order (all started side by side, all listening). */
  children: readonly ChildServer[];
  pools: ReadonlyMap<string, RawPool>;
}

/** The time since `started` (a Date.now()), e.g. `4.6 s`. */
export const took = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Lets the event loop run (IPC from children, timers, other preparations) between two pieces of work. */
export const yieldToLoop = () => new Promise<void>((done) => setImmediate(done));

/**
 * `count` items made `chunk` at a time, the event loop running in between: building a pool takes
 * seconds, and meanwhile starting children report over IPC and timers (ready timeouts, a Redis
 * PING's) must not fire late.
 */
async function inChunks<T>(
  count: number,
  make: (first: number, count: number) => T[],
  chunk = 250,
): Promise<T[]> {
  const out: T[] = [];
  for (let first = 0; first < count; first += chunk) {
    await yieldToLoop();
    out.push(...make(first, Math.min(chunk, count - first)));
  }
  return out;
}

/**
 * Starts the server child of every row side by side (they load while this process builds the
 * pools), then builds each request pool once. Resolves when every child listens; if one fails,
 * the others are stopped.
 */
export async function prepareInbound(options: InboundOptions): Promise<InboundPrepared> {
  const rows = planInbound(options);
  const starting = rows.map((row) =>
    startChild('bench/inbound-server.ts', { args: [JSON.stringify(row.config)], dist: benchFromDist() }),
  );
  // Rejections are taken up by Promise.all below; until then they must not count as unhandled.
  for (const child of starting) child.catch(() => {});
  try {
    const pools = new Map<string, RawPool>();
    for (const { config } of rows) {
      const key = poolKey(config);
      if (pools.has(key)) continue;
      const pool = await rawPool(config);
      // Enough for the first warm-up at the assumed rate; later runs reserve what they need.
      await pool.signed.fill(Math.ceil(WECOM_FIRST_RATE * (options.warmup + 0.1)));
      pools.set(key, pool);
    }
    return { rows, children: await Promise.all(starting), pools };
  } catch (error) {
    await Promise.allSettled(starting.map((child) => child.then((c) => c.stop())));
    throw error;
  }
}

/** Stops every server child of a preparation (those already stopping are not asked twice). */
export async function releaseInbound(prepared: InboundPrepared): Promise<void> {
  await Promise.allSettled(prepared.children.map((child) => child.stop()));
}

/**
 * Measures every row on its own child, one row after the other. Each child is stopped once its row
 * is measured (in the background: the next row begins with its warm-up); all are stopped at the end.
 */
export async function runInbound(
  options: InboundOptions,
  prepared?: InboundPrepared,
): Promise<InboundResults> {
  const ready = prepared ?? (await prepareInbound(options));
  const { rows, children, pools } = ready;
  const results: InboundResults = { bot: [], app: [] };
  try {
    for (const [i, { label, config }] of rows.entries()) {
      const child = children[i]!;
      const started = Date.now();
      try {
        const row = await measurePair(label, child, pools.get(poolKey(config))!, options);
        row.adapter = config.adapter;
        results[config.kind].push(row);
        const what = config.kind === 'bot' ? row.label : `router with ${row.label}`;
        console.log(`  measured ${what} (${took(started)})`);
      } finally {
        void child.stop();
      }
    }
    const made = [...pools].map(([key, pool]) => `${key} ${fmt(pool.signed.size)}`).join(', ');
    console.log(`  signed 1 KB callbacks made (unique msgids, as the rates needed): ${made}`);
  } finally {
    await releaseInbound(ready);
  }
  return results;
}

const rps = (f: RouteFigures) => fmt(f.rps);
const lat = (f: RouteFigures) => `${f.p50} / ${f.p99}`;

function rowCells(row: InboundRow): string[] {
  const problems = [row.bare, row.floor, row.wecom].reduce((n, f) => n + f.non2xx + f.errors, 0);
  return [
    row.label,
    rps(row.bare),
    rps(row.floor),
    rps(row.wecom),
    `${row.ratio.toFixed(2)}${row.ratio >= 0.85 ? '' : ' (< 0.85)'}`,
    (row.floor.rps / row.bare.rps).toFixed(2),
    (row.wecom.rps / row.floor.rps).toFixed(2),
    lat(row.bare),
    lat(row.floor),
    lat(row.wecom),
    `${row.bare.cpuUs.toFixed(0)} / ${row.floor.cpuUs.toFixed(0)} / ${row.wecom.cpuUs.toFixed(0)}`,
    `${problems}${row.poolWrapped ? ' (pool wrapped)' : ''}`,
  ];
}

export function printInbound(results: InboundResults, options: InboundOptions): string {
  const head = [
    '',
    'bare req/s',
    'floor req/s',
    'WeCom req/s',
    'WeCom / bare',
    'floor / bare',
    'WeCom / floor',
    'bare p50 / p99 ms',
    'floor p50 / p99 ms',
    'WeCom p50 / p99 ms',
    'server CPU µs/req bare / floor / WeCom',
    'non-2xx + errors',
  ];
  const out: string[] = [];
  const rounds = options.rounds ?? 3;
  const note = `autocannon, ${options.connections} connections, ${options.duration} s per route (median of ${rounds} interleaved runs of ${(options.duration / rounds).toFixed(1)} s) after ${options.warmup} s warm-up`;
  if (results.bot.length > 0) {
    out.push(`(b) Bot callback, 1 KB encrypted text → passive encrypted reply — ${note}`);
    out.push(table([head, ...results.bot.map(rowCells)]));
  }
  if (results.app.length > 0) {
    out.push('');
    out.push(
      `(c) App XML callback through the CallbackRouter (node:http unless named), target = last app — ${note}`,
    );
    out.push(table([['apps', ...head.slice(1)], ...results.app.map(rowCells)]));
    const series = results.app.filter((r) => r.adapter === 'node');
    const first = series[0];
    if (first) {
      const relative = (r: InboundRow, f: (x: InboundRow) => number) => (f(r) / f(first)).toFixed(2);
      out.push(
        `    node:http, relative to ${first.label}: WeCom req/s ${series.map((r) => `${r.label} ${relative(r, (x) => x.wecom.rps)}`).join(', ')}; ` +
          `server CPU µs/req ${series.map((r) => `${r.label} ${relative(r, (x) => x.wecom.cpuUs)}`).join(', ')}`,
      );
    }
  }
  out.push(
    '    bare = the framework answering `200 success` to the same request; floor = a hand-written route doing only the',
    '    unavoidable work (verify the signature, decrypt, parse, encrypt and sign the reply) with the synchronous codec.',
    '    server CPU µs/req = CPU time of the server process per answered request (robust to load from other processes).',
  );
  if ([...results.bot, ...results.app].some((row) => row.adapter === 'fastify')) {
    out.push(
      "    Fastify: the plugin's onRequest hook sees every request, the bare and floor routes' too (Fastify runs hooks after routing).",
    );
  }
  return out.join('\n');
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options: InboundOptions = {
    duration: Number(argValue('--duration') ?? 6),
    warmup: Number(argValue('--warmup') ?? 1),
    connections: 50,
    only: argValue('--only') as InboundOptions['only'],
    ...(argValue('--adapters') ? { adapters: argValue('--adapters')!.split(',') as AdapterName[] } : {}),
    ...(argValue('--apps') ? { appCounts: argValue('--apps')!.split(',').map(Number) } : {}),
  };
  const results = await runInbound(options);
  console.log(printInbound(results, options));
}
