/**
 * Two commits' servers over real sockets, interleaved: for each row of docs/benchmarks.md's
 * before/after section, the inbound benchmark's server child (bench/inbound-server.ts) of the
 * "before" checkout on its own built packages and this checkout's on its own, same framework, same
 * route, driven alternately by autocannon (50 connections) in short rounds, the order flipped every
 * round. Per round and server: the child's process CPU per answered request (user + system, from
 * process.cpuUsage in the child) and req/s. Per row: the medians, the ratio after / before per
 * round with its median and interquartile range, and a verdict: "slower" only when the whole IQR
 * is above 1.03, "faster" when below 0.97, else "same".
 *
 * node --import tsx bench/pipeline-http-ab.mts --before /work/wt/before [--rows hono,app10-hono]
 *   [--max-rate 5000|auto] [--rounds 10] [--seconds 2] [--warmup 1]
 *
 * Both checkouts built (`pnpm build`). Each child is bench/inbound-server.ts of its own checkout,
 * compiled and linked to that checkout's dist (bench/lib/child.ts, `root`). --max-rate caps the
 * offered load (requests/s over all connections) so both servers are measured at the same rate
 * (CPU per request falls as the rate rises: more requests share each turn of the event loop);
 * `auto` sets it per row to 60 % of the slower server's warm-up rate. Without it each server runs
 * as fast as it answers. Rows: express, koa, hono, node (bot callbacks),
 * app1, app10, app100 (router on node:http), app10-express, app10-koa, app10-hono.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import {
  Cursor,
  figures,
  type PlannedRow,
  planInbound,
  type RawPool,
  type RouteFigures,
  rawPool,
} from './inbound.bench.ts';
import { type ChildServer, startChild } from './lib/child.ts';
import { REPO_ROOT } from './lib/frameworks.ts';
import { table } from './lib/table.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const beforeRoot = arg('--before');
if (!beforeRoot) {
  console.error(
    'usage: node --import tsx bench/pipeline-http-ab.mts --before <checkout> [--rows …] [--max-rate N]',
  );
  process.exit(2);
}
const rounds = Number(arg('--rounds') ?? 10);
const seconds = Number(arg('--seconds') ?? 2);
const warmup = Number(arg('--warmup') ?? 1);
const rateArg = arg('--max-rate');
const autoRate = rateArg === 'auto';
const fixedRate = rateArg && !autoRate ? Number(rateArg) : undefined;
const connections = 50;

/** A row's short name (for --rows): the adapter for bot rows, app<count>[-adapter] for the router's. */
const keyOf = ({ config }: PlannedRow) =>
  config.kind === 'bot'
    ? config.adapter
    : `app${config.apps}${config.adapter === 'node' ? '' : `-${config.adapter}`}`;
const planned = planInbound({
  duration: seconds,
  warmup,
  connections,
  adapters: ['express', 'koa', 'hono', 'node'],
  appCounts: [1, 10, 100],
});
const wanted = arg('--rows')?.split(',');
const unknown = wanted?.filter((w) => !planned.some((row) => keyOf(row) === w)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown rows ${unknown.join(', ')}; rows: ${planned.map(keyOf).join(', ')}`);
  process.exit(2);
}
const rows = planned.filter((row) => !wanted || wanted.includes(keyOf(row)));

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (at - low);
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Side {
  name: 'before' | 'after';
  child: ChildServer;
  cursor: Cursor;
  runs: RouteFigures[];
}

async function measureRow(row: PlannedRow, pool: RawPool): Promise<string[]> {
  const args = [JSON.stringify(row.config)];
  const [before, after] = await Promise.all(
    [resolve(beforeRoot!), REPO_ROOT].map((root) =>
      startChild('bench/inbound-server.ts', { args, dist: true, root }),
    ),
  );
  const sides: Side[] = [
    { name: 'before', child: before!, cursor: new Cursor(pool.signed.routes.wecom), runs: [] },
    { name: 'after', child: after!, cursor: new Cursor(pool.signed.routes.wecom), runs: [] },
  ];
  let rate = fixedRate;
  try {
    const go = (side: Side, s: number) => pool.signed.run(side.child.url, s, connections, side.cursor, rate);
    const warm: number[] = [];
    for (const side of sides) warm.push(figures(await go(side, warmup), 0).rps);
    if (autoRate) rate = Math.floor((0.6 * Math.min(...warm)) / 50) * 50;
    const cpu = (side: Side) => side.child.request<number>('cpu', 'cpu');
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        await pool.signed.reserve(side.cursor, seconds);
        const used = await cpu(side);
        const result = await go(side, seconds);
        side.runs.push(figures(result, (await cpu(side)) - used));
      }
    }
    for (const side of sides) {
      const stats = await side.child.request<{ replies: number }>('stats', 'stats');
      if (stats.replies === 0) throw new Error(`${row.label} ${side.name}: the listener never ran`);
    }
  } finally {
    await Promise.allSettled(sides.map((side) => side.child.stop()));
  }
  const [b, a] = sides as [Side, Side];
  const ratios = a.runs.map((run, i) => run.cpuUs / b.runs[i]!.cpuUs);
  const q1 = quantile(ratios, 0.25);
  const q3 = quantile(ratios, 0.75);
  const verdict = q1 > 1.03 ? 'slower' : q3 < 0.97 ? 'faster' : 'same';
  const med = (side: Side, f: (x: RouteFigures) => number) => quantile(side.runs.map(f), 0.5);
  const problems = [...a.runs, ...b.runs].reduce((n, x) => n + x.non2xx + x.errors, 0);
  const label = row.config.kind === 'bot' ? row.label : `router, ${row.label}`;
  console.log(
    `  ${label}: ratio ${quantile(ratios, 0.5).toFixed(3)} (${ratios.map((x) => x.toFixed(2)).join(' ')})${rate ? ` at ${rate} req/s` : ''}, load ${load()}`,
  );
  return [
    label,
    med(b, (x) => x.cpuUs).toFixed(0),
    med(a, (x) => x.cpuUs).toFixed(0),
    quantile(ratios, 0.5).toFixed(3),
    `${q1.toFixed(3)}–${q3.toFixed(3)}`,
    verdict,
    `${med(b, (x) => x.rps).toFixed(0)} / ${med(a, (x) => x.rps).toFixed(0)}`,
    String(problems),
  ];
}

const loadStart = load();
console.log(
  `HTTP A/B: before ${resolve(beforeRoot)}, after ${REPO_ROOT}; ${rounds} rounds of ${seconds} s per server after ${warmup} s warm-up, ` +
    `${connections} connections${rateArg ? `, at most ${autoRate ? '60 % of the slower warm-up rate' : `${fixedRate}`} req/s` : ''}; load average ${loadStart}`,
);
const pools = new Map<string, RawPool>();
const cells: string[][] = [];
for (const [i, row] of rows.entries()) {
  const key = row.config.kind === 'bot' ? 'bot' : `app:${row.config.apps}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = await rawPool(row.config);
    pools.set(key, pool);
  }
  cells.push(await measureRow(row, pool));
  // A pool no later row needs is dropped (a 100-app pool holds many signed requests).
  if (!rows.slice(i + 1).some((r) => (r.config.kind === 'bot' ? 'bot' : `app:${r.config.apps}`) === key))
    pools.delete(key);
}
const head = [
  'row',
  'before µs/req',
  'after µs/req',
  'after / before (median)',
  'IQR',
  'verdict',
  'req/s before / after',
  'non-2xx + errors',
];
console.log(`\nserver CPU per request (median of ${rounds} rounds); load average ${loadStart} → ${load()}`);
console.log(table([head, ...cells]));
process.exit(0);
