#!/usr/bin/env node
// `pnpm bench`: the `bench` script of every package that has one (the crypto codec), then the
// cross-package benchmarks in bench/ (the inbound path over HTTP per adapter against the
// framework's bare route, the multi-app router, costs that grow with the work), in one run.
// Benchmarks print figures only; nothing here asserts a time. Exit status: non-zero if a bench crashed.
// Arguments after `--` go to bench/run.ts (e.g. `pnpm bench -- --duration 10`); `--no-packages`
// skips the package benches, `--no-cross` the cross-package ones, `--no-edge` the edge-runtime and
// streamed-media part (the Web provider on Deno, Bun and workerd; a 100 MiB media download).
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2).filter((a) => a !== '--');
const own = argv.filter((a) => a !== '--no-packages' && a !== '--no-cross' && a !== '--no-edge');
let status = 0;

if (!argv.includes('--no-packages')) {
  const args = [
    '-y',
    'pnpm@10.34.8',
    '-r',
    '--workspace-concurrency=1',
    '--filter',
    './packages/*',
    '--if-present',
    'run',
    'bench',
  ];
  console.log(`== npx ${args.join(' ')}`);
  const run = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: process.env });
  if (run.error) console.error(run.error.message);
  status ||= run.status ?? 1;
}

if (!argv.includes('--no-cross')) {
  // The cross-package benchmarks run the built packages (what users install): build them first,
  // unless WECOM_BENCH_FROM=src asks for the TypeScript sources.
  if (process.env.WECOM_BENCH_FROM !== 'src') {
    console.log('\n== npx -y pnpm@10.34.8 build');
    const build = spawnSync('npx', ['-y', 'pnpm@10.34.8', 'build'], {
      cwd: root,
      stdio: 'inherit',
      env: process.env,
    });
    if (build.error) console.error(build.error.message);
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const args = ['--import', 'tsx', 'bench/run.ts', ...own];
  console.log(`\n== node ${args.join(' ')}`);
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (run.error) console.error(run.error.message);
  status ||= run.status ?? 1;
}
if (!argv.includes('--no-edge')) {
  // From the TypeScript sources: each runtime gets its own bundle of them.
  for (const file of ['packages/crypto/bench/edge.bench.ts', 'bench/media-stream.bench.ts']) {
    const args = ['--import', 'tsx', file];
    console.log(`\n== node ${args.join(' ')}`);
    const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
    if (run.error) console.error(run.error.message);
    status ||= run.status ?? 1;
  }
}
process.exit(status);
