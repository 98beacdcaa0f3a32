/**
 * The whole inbound path over real HTTP on loopback, per adapter, against the same framework's bare
 * `200 success` route; then app callbacks through the multi-app router with 1, 10 and 100 apps.
 * The server runs in a child process, autocannon here. Prints figures and ratios; asserts nothing.
 *
 * Run alone: node --import tsx bench/inbound.bench.ts [--duration 6] [--warmup 1] [--only bot|app]
 */
import autocannon from 'autocannon';
import { benchFromDist, startChild } from './lib/child.ts';
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
    rps: result.requests.average,
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

/** A cursor over pre-built requests, shared by every autocannon connection. */
export class Cursor {
  next = 0;
  constructor(readonly requests: readonly RawRequest[]) {}
  get wrapped(): boolean {
    return this.next > this.requests.length;
  }
  take(): RawRequest {
    return this.requests[this.next++ % this.requests.length]!;
  }
}

/**
 * autocannon with requests taken from a cursor. autocannon's `setupRequest` rebuilds every request
 * (about a third of a core at these rates, which would throttle the measurement); `setupClient`
 * instead hands each connection the next pre-built buffer.
 */
export function run(
  url: string,
  seconds: number,
  connections: number,
  cursor: Cursor,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: seconds,
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
  config: { adapter: AdapterName; kind: 'bot' | 'app'; apps?: number },
  pool: { bare: readonly RawRequest[]; floor: readonly RawRequest[]; wecom: readonly RawRequest[] },
  options: InboundOptions,
): Promise<InboundRow> {
  const child = await startChild('bench/inbound-server.ts', {
    args: [JSON.stringify(config)],
    dist: benchFromDist(),
  });
  try {
    const wecom = new Cursor(pool.wecom);
    const bare = new Cursor(pool.bare);
    const floor = new Cursor(pool.floor);
    if (options.warmup > 0) {
      for (const cursor of [bare, floor, wecom])
        await run(child.url, options.warmup, options.connections, cursor);
    }
    const rounds = options.rounds ?? 3;
    const seconds = options.duration / rounds;
    const cpu = () => child.request<number>('cpu', 'cpu');
    const measure = async (cursor: Cursor) => {
      const before = await cpu();
      const result = await run(child.url, seconds, options.connections, cursor);
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
  } finally {
    await child.stop();
  }
}

/**
 * The same signed requests twice: to the WeCom path, and to the bare route with the same query and
 * body (same size on the wire; the bare route ignores them).
 */
function rawPools(requests: readonly PooledRequest[], wecomPath: string, contentType: string) {
  const onPath = (path: string) =>
    requests
      .slice(0, 5000)
      .map((r) => rawRequest(path + r.path.slice(wecomPath.length), r.body, contentType));
  return {
    wecom: requests.map((r) => rawRequest(r.path, r.body, contentType)),
    bare: onPath(BARE_PATH),
    floor: onPath(FLOOR_PATH),
  };
}

function poolSize(options: InboundOptions): number {
  // Enough unique requests for warm-up and measurement at up to ~12k req/s on the WeCom route.
  return Math.ceil((options.duration + options.warmup) * 12_000);
}

export async function runInbound(options: InboundOptions): Promise<InboundResults> {
  const results: InboundResults = { bot: [], app: [] };
  const size = poolSize(options);
  if (options.only !== 'app') {
    const started = Date.now();
    const pool = rawPools(botCallbackPool(size, '/wecom/bot'), '/wecom/bot', CONTENT_TYPE.bot);
    console.log(
      `  ${fmt(size)} signed 1 KB bot callbacks (unique msgids) generated in ${fmt(Date.now() - started)} ms`,
    );
    for (const adapter of options.adapters ?? ADAPTERS) {
      const row = await measurePair(ADAPTER_LABELS[adapter], { adapter, kind: 'bot' }, pool, options);
      results.bot.push(row);
      console.log(`  measured ${row.label}`);
    }
  }
  if (options.only !== 'bot') {
    const counts = options.appCounts ?? [1, 10, 100];
    // The app-count series on node:http, then 10 apps through every other adapter.
    const runs: { adapter: AdapterName; count: number }[] = counts.map((count) => ({
      adapter: 'node',
      count,
    }));
    if (counts.includes(10)) {
      for (const adapter of options.adapters ?? ADAPTERS)
        if (adapter !== 'node') runs.push({ adapter, count: 10 });
    }
    const pools = new Map<number, ReturnType<typeof rawPools>>();
    for (const { adapter, count } of runs) {
      let pool = pools.get(count);
      if (!pool) {
        const apps = benchApps(count);
        // The target is the last app: every app's signature is computed anyway (no "first match wins").
        pool = rawPools(
          appCallbackPool(size, '/wecom/callback', apps[count - 1]!),
          '/wecom/callback',
          CONTENT_TYPE.app,
        );
        pools.clear();
        pools.set(count, pool);
      }
      const apps = `${count} app${count === 1 ? '' : 's'}`;
      const row = await measurePair(
        adapter === 'node' ? apps : `${apps}, ${ADAPTER_LABELS[adapter]}`,
        { adapter, kind: 'app', apps: count },
        pool,
        options,
      );
      row.adapter = adapter;
      results.app.push(row);
      console.log(`  measured router with ${row.label}`);
    }
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
