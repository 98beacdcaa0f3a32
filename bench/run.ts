/**
 * The cross-package benchmarks, as `pnpm bench` runs them after the package benches:
 * (b) the whole inbound path over real HTTP per adapter against the framework's bare route,
 * (c) app callbacks through the multi-app router with 1, 10 and 100 apps,
 * (r) the three hot paths with the Redis store against the memory store, with the Redis commands
 *     and round trips per callback,
 * (d) costs that grow with the work.
 * Figures and ratios from one run, printed together at the end and written to bench/results.json;
 * nothing is asserted.
 *
 * node --import tsx bench/run.ts [--quick] [--duration 6] [--warmup 1] [--only inbound|redis|growth] [--no-redis]
 *
 * --quick: 1.2 s per route (3 interleaved runs of 0.4 s) after 0.3 s of warm-up instead of 6 s
 * after 1 s, and 3 Redis callbacks counted one at a time instead of 5; every row is still measured.
 * Either way, every server child of the (b), (c) and (r) rows is started first, side by side, while
 * the first requests are signed; then the rows are measured one after the other.
 * --only inbound: the (b), (c) and (r) rows; --only redis: (r) alone; --no-redis: without (r).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { printGrowth, runGrowth } from './growth.bench.ts';
import {
  type InboundOptions,
  prepareInbound,
  printInbound,
  releaseInbound,
  runInbound,
} from './inbound.bench.ts';
import { buildResults, loadAverage, RESULTS_FILE, writeResults } from './lib/results.ts';
import { prepareRedis, printRedis, redisSkipReason, releaseRedis, runRedis } from './redis.bench.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const only = arg('--only');
if (only !== undefined && !['inbound', 'redis', 'growth'].includes(only)) {
  console.error(`--only takes inbound, redis or growth, not ${only}`);
  process.exit(2);
}
const quick = process.argv.includes('--quick');
const options: InboundOptions = {
  duration: Number(arg('--duration') ?? (quick ? 1.2 : 6)),
  warmup: Number(arg('--warmup') ?? (quick ? 0.3 : 1)),
  connections: 50,
};
const cores = cpus();
const machine = () =>
  `${cores.length} × ${cores[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, ` +
  `Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
const startMachine = machine();
const loadStart = loadAverage();
const startedAt = new Date();
console.log(`\n== WeCom SDK benchmarks (bench/): ${startMachine}${quick ? ' (--quick)' : ''}`);
if (loadavg()[0]! > cores.length * 0.5) {
  console.log(
    `   note: the machine is busy (load ${loadavg()[0]!.toFixed(1)} on ${cores.length} cores): absolute figures are low; ratios are measured side by side`,
  );
}
const started = Date.now();
const sections: string[] = [];
/** Runs one section and notes how long it took. */
async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const at = Date.now();
  const result = await work();
  sections.push(`${name} ${((Date.now() - at) / 1000).toFixed(0)} s`);
  return result;
}
const wantInbound = only === undefined || only === 'inbound';
const wantRedis =
  (only === undefined || only === 'inbound' || only === 'redis') && !process.argv.includes('--no-redis');
// Every server child of the (b), (c) and (r) rows starts at once, while this process builds the
// request pools; the rows are then measured one after the other.
const [inboundReady, redisReady] = await timed('start-up', async () => {
  // PING first: building the pools keeps this process busy, and the PING's timeout could fire late.
  const skipped = wantRedis ? await redisSkipReason() : undefined;
  const preparing = [
    wantInbound ? prepareInbound(options) : undefined,
    wantRedis ? prepareRedis(options, { skipped }) : undefined,
  ] as const;
  const [a, b] = await Promise.allSettled(preparing);
  if (a.status === 'rejected' || b.status === 'rejected') {
    // One part failed: stop what the other started, then fail.
    if (a.status === 'fulfilled' && a.value) await releaseInbound(a.value);
    if (b.status === 'fulfilled' && b.value && 'paths' in b.value) await releaseRedis(b.value);
    throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
  }
  return [a.value, b.value] as const;
});
const inbound = inboundReady ? await timed('(b)+(c)', () => runInbound(options, inboundReady)) : undefined;
const redis = redisReady
  ? await timed('(r)', () => runRedis({ ...options, countCallbacks: quick ? 3 : 5 }, redisReady))
  : undefined;
const growth = only === undefined || only === 'growth' ? await timed('(d)', () => runGrowth()) : undefined;
const seconds = (Date.now() - started) / 1000;
console.log(
  `\n== results (${seconds.toFixed(0)} s: ${sections.join(', ')}; start: ${startMachine}; end: ${machine()})`,
);
if (inbound) console.log(`\n${printInbound(inbound, options)}`);
if (redis) console.log(`\n${printRedis(redis, options)}`);
if (growth) console.log(`\n${printGrowth(growth)}`);
writeResults(
  buildResults({
    startedAt,
    loadStart,
    seconds,
    options: { ...options, quick, selection: only },
    inbound,
    redis,
    growth,
  }),
);
console.log(`\n   written: ${RESULTS_FILE}`);
