/**
 * The Web provider on Deno, Bun and workerd beside the Node provider on Node, in one run: inbound
 * (verify + decrypt) and outbound (encrypt + sign) per message at 200 B, 1 KB, 16 KB and 256 KB,
 * with the ratio edge / Node (lower is better; the target is ≤ 2 at 1 KB). Prints figures only.
 *
 * Timed by CPU time, which load elsewhere on this shared machine hardly moves: Node, Deno and Bun
 * time themselves (process.cpuUsage, which covers Web Crypto's threads too). workerd has no such
 * call and its clock inside a request is not one to time code by, so this driver reads workerd's
 * CPU time from /proc around batches sent over HTTP, and subtracts an empty batch.
 * Run: node --import tsx packages/crypto/bench/edge.bench.ts (part of `pnpm bench`)
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeProvider, WeComCrypto, webProvider } from '../src/index.node.ts';
import { bunBinary, denoBinary, workerdBinary } from '../test/runtime-bins.ts';
import { cpuClock, type EdgeRow, KEYS, measureAll, SIZES } from './edge-subject.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const esbuild = createRequire(require.resolve('tsx/package.json'))('esbuild') as {
  build(options: Record<string, unknown>): Promise<unknown>;
};
const work = mkdtempSync(join(tmpdir(), 'wecom-edge-bench-'));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();

async function bundle(entry: string): Promise<string> {
  const outfile = join(work, entry.replace(/\.ts$/, '.mjs'));
  await esbuild.build({
    entryPoints: [join(here, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    target: 'es2022',
    logLevel: 'silent',
  });
  return outfile;
}

function lastJson(stdout: string): { rows: EdgeRow[]; clock: string } {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

function runCli(name: string, bin: string, args: string[], env: Record<string, string>): EdgeRow[] {
  const run = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  if (run.status !== 0) throw new Error(`${name} failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const report = lastJson(run.stdout);
  if (report.clock !== 'cpu') throw new Error(`${name} has no process.cpuUsage`);
  return report.rows;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU ms used so far by process `pid` (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * workerd: batches timed from here by workerd's own CPU time (/proc), minus an empty batch: inside
 * a request its clock is not one to time code by.
 */
async function runWorkerd(): Promise<{ rows: EdgeRow[]; version: string; clockMoved: number }> {
  const bin = workerdBinary();
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  const file = await bundle('edge-worker.ts');
  const port = await freePort();
  const config = join(work, 'edge.capnp');
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "${file.split('/').pop()}") ],
  compatibilityDate = "2025-09-01",
);
`,
  );
  const child: ChildProcess = spawn(bin, ['serve', config], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        await (await fetch(base)).text();
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const pid = child.pid!;
    const batch = async (op: string, bytes: number, n: number) => {
      const t0 = processCpuMs(pid);
      const response = await fetch(`${base}/batch?op=${op}&bytes=${bytes}&n=${n}`);
      const body = (await response.json()) as { clockMs: number };
      return { ms: processCpuMs(pid) - t0, clockMs: body.clockMs };
    };
    const rows: EdgeRow[] = [];
    let clockMoved = 0;
    for (const [size, bytes] of SIZES) {
      for (const op of ['inbound', 'outbound'] as const) {
        await batch(op, bytes, 1); // prepares and checks the operation
        let n = 1;
        while ((await batch(op, bytes, n)).ms < 150 && n < 1 << 20) n *= 2;
        n *= 2; // ~300 ms of CPU a batch: the 10 ms ticks then cost ±3 %
        const full: number[] = [];
        const empty: number[] = [];
        for (let r = 0; r < 5; r++) {
          const b = await batch(op, bytes, n);
          clockMoved = Math.max(clockMoved, b.clockMs);
          full.push(b.ms);
          empty.push((await batch(op, bytes, 0)).ms);
        }
        rows.push({ size, op, ns: ((median(full) - median(empty)) * 1e6) / n });
      }
    }
    return { rows, version, clockMoved };
  } finally {
    child.kill('SIGTERM');
  }
}

try {
  const results: { name: string; version: string; rows: EdgeRow[] }[] = [];
  const { now } = cpuClock();
  results.push({
    name: 'node (node provider)',
    version: process.version,
    rows: await measureAll(new WeComCrypto({ ...KEYS, provider: nodeProvider }), now),
  });
  results.push({
    name: 'node (web provider)',
    version: process.version,
    rows: await measureAll(new WeComCrypto({ ...KEYS, provider: webProvider }), now),
  });
  const cli = await bundle('edge-cli.ts');
  const deno = denoBinary();
  results.push({
    name: 'deno (web provider)',
    version: execFileSync(deno, ['--version'], { encoding: 'utf8' }).split('\n')[0]!,
    rows: runCli('deno', deno, ['run', '--quiet', '--no-lock', '--no-config', cli], {
      DENO_DIR: join(work, 'deno-dir'),
      DENO_NO_UPDATE_CHECK: '1',
    }),
  });
  const bun = bunBinary();
  results.push({
    name: 'bun (web provider)',
    version: `bun ${execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim()}`,
    rows: runCli('bun', bun, [cli], { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' }),
  });
  const workerd = await runWorkerd();
  results.push({ name: 'workerd (web provider) *', version: workerd.version, rows: workerd.rows });

  console.log(`Edge runtimes: ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}`);
  for (const r of results) console.log(`  ${r.name.padEnd(26)} ${r.version}`);
  console.log(`load average ${loadBefore} before, ${load()} after`);
  console.log(
    'CPU µs per message (median batch, process CPU time); "x node" = this / node provider on Node (lower is better)',
  );
  console.log(
    `* workerd: its CPU time (/proc) over a batch sent by HTTP, minus an empty batch (its own clock moved at most ${workerd.clockMoved.toFixed(0)} ms in a batch)\n`,
  );
  const node = results[0]!;
  const cols = results.map((r) => r.name.split(' ')[0]! + (r.name.includes('web') ? '/web' : '/node'));
  console.log(`${'size'.padEnd(7)} ${'op'.padEnd(9)} ${cols.map((c) => c.padStart(18)).join('')}`);
  for (const [size] of SIZES) {
    for (const op of ['inbound', 'outbound'] as const) {
      const base = node.rows.find((x) => x.size === size && x.op === op)!.ns;
      const cells = results.map((r) => {
        const ns = r.rows.find((x) => x.size === size && x.op === op)!.ns;
        return r === node
          ? `${(ns / 1000).toFixed(2)}`.padStart(18)
          : `${(ns / 1000).toFixed(2)} (${(ns / base).toFixed(2)}x)`.padStart(18);
      });
      console.log(`${size.padEnd(7)} ${op.padEnd(9)} ${cells.join('')}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
