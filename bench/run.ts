/**
 * The cross-package benchmarks, as `pnpm bench` runs them after the package benches:
 * (b) the whole inbound path over real HTTP per adapter against the framework's bare route,
 * (c) app callbacks through the multi-app router with 1, 10 and 100 apps,
 * (d) costs that grow with the work.
 * Figures and ratios from one run, printed together at the end; nothing is asserted.
 *
 * node --import tsx bench/run.ts [--duration 6] [--warmup 1] [--only inbound|growth]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { printGrowth, runGrowth } from './growth.bench.ts';
import { type InboundOptions, printInbound, runInbound } from './inbound.bench.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const only = arg('--only');
const options: InboundOptions = {
  duration: Number(arg('--duration') ?? 6),
  warmup: Number(arg('--warmup') ?? 1),
  connections: 50,
};
const cores = cpus();
const machine = () =>
  `${cores.length} × ${cores[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, ` +
  `Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
const startMachine = machine();
console.log(`\n== WeCom SDK benchmarks (bench/): ${startMachine}`);
if (loadavg()[0]! > cores.length * 0.5) {
  console.log(
    `   note: the machine is busy (load ${loadavg()[0]!.toFixed(1)} on ${cores.length} cores): absolute figures are low; ratios are measured side by side`,
  );
}
const started = Date.now();
const inbound = only === 'growth' ? undefined : await runInbound(options);
const growth = only === 'inbound' ? undefined : await runGrowth();
console.log(
  `\n== results (${((Date.now() - started) / 1000).toFixed(0)} s; start: ${startMachine}; end: ${machine()})`,
);
if (inbound) console.log(`\n${printInbound(inbound, options)}`);
if (growth) console.log(`\n${printGrowth(growth)}`);
