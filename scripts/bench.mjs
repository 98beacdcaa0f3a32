#!/usr/bin/env node
// `pnpm bench`: the `bench` script of every package that has one (the crypto codec), then the
// cross-package benchmarks in bench/ (the inbound path over HTTP per adapter against the
// framework's bare route, the multi-app router, costs that grow with the work), in one run.
// Benchmarks print figures only; nothing here asserts a time. Exit status: non-zero if a bench crashed.
// Arguments after `--` go to bench/run.ts (e.g. `pnpm bench -- --duration 10`); `--no-packages`
// skips the package benches, `--no-cross` the cross-package ones, `--no-edge` the edge-runtime and
// streamed-media part (the Web provider on Deno, Bun and workerd; a 100 MiB media download).
// `--only inbound|redis|growth` (and `--quick`) go to bench/run.ts and imply --no-packages and
// --no-edge: `pnpm bench -- --only inbound --quick` runs the inbound rows alone (bench/run.ts
// says what --quick shortens). The figures go to bench/results.json too (the streamed media's
// peak RSS is merged in here); the build is skipped when every package's dist is newer than its
// sources.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2).filter((a) => a !== '--');
const own = argv.filter((a) => a !== '--no-packages' && a !== '--no-cross' && a !== '--no-edge');
const selected = argv.includes('--only');
const skipPackages = argv.includes('--no-packages') || selected;
const skipEdge = argv.includes('--no-edge') || selected;
const resultsFile = join(root, 'bench/results.json');
const benchStarted = Date.now();
let status = 0;

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** True when every package with a build has a dist/ newer than its src/ and package.json. */
function distUpToDate() {
  for (const name of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.build) continue;
    const dist = join(dir, 'dist');
    if (!existsSync(dist)) return false;
    const oldestOut = Math.min(...readdirSync(dist).map((f) => statSync(join(dist, f)).mtimeMs));
    if (Math.max(newest(join(dir, 'src')), statSync(manifest).mtimeMs) > oldestOut) return false;
  }
  return true;
}

if (!skipPackages) {
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
  if (process.env.WECOM_BENCH_FROM !== 'src' && distUpToDate()) {
    console.log('\n== build skipped: every packages/*/dist is newer than its sources');
  } else if (process.env.WECOM_BENCH_FROM !== 'src') {
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
/** Runs a bench file, passing its output through; resolves with its exit status and stdout. */
function runBench(file) {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.on('error', (error) => console.error(error.message));
    child.on('close', (code) => done({ status: code ?? 1, stdout }));
  });
}

if (!skipEdge) {
  // From the TypeScript sources: each runtime gets its own bundle of them.
  for (const file of ['packages/crypto/bench/edge.bench.ts', 'bench/media-stream.bench.ts']) {
    console.log(`\n== node --import tsx ${file}`);
    const run = await runBench(file);
    status ||= run.status;
    const line = run.stdout.split('\n').find((l) => l.startsWith('@@media-stream '));
    // The media figures join the results of this run (bench/run.ts wrote the file first).
    if (line && existsSync(resultsFile) && statSync(resultsFile).mtimeMs >= benchStarted) {
      const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
      const media = JSON.parse(line.slice('@@media-stream '.length));
      results.media = {
        bytes: media.bytes,
        peakRssAboveBaselineMiB: Number((media.peakRssAboveBaseline / 2 ** 20).toFixed(1)),
        boundMiB: 64,
        sha256Matches: media.ok,
      };
      writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`   media peak RSS added to ${resultsFile}`);
    }
  }
}
process.exit(status);
