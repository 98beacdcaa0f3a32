#!/usr/bin/env node
// The whole test command: lint, types, unit/integration tests (with coverage), the reliability
// suite, the runtime matrix (Node 20 and 22, Bun, Deno, workerd) and the package checks on packed
// tarballs.
//
// The vitest suite keeps the two cores only about 60 % busy (most of its files wait on child
// processes, sockets and timers), so the steps that do not share files with it run beside it, in a
// second lane: the type check, the runtime matrix (esbuild bundles of the sources in a temporary
// directory) and the package checks (which build packages/*/dist; tests, tsc and the matrix all read
// src/). Their output is held and printed as each finishes, so the two lanes never interleave lines.
// The reliability suite then runs alone, because its scenarios push the machine to its limits.
// The summary at the end names every step and its result.
//
// Usage: node scripts/test.mjs [step ...]   (CI=true stops at the first failure)
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The machine's Node runs every step (the matrix's other runtimes live in test/runtimes, so no
// `node` of theirs is on the root PATH); tools are started by path so no shim can pick another one.
const node = process.execPath;
const tool = (...path) => join(root, 'node_modules', ...path);
const vitest = tool('vitest', 'vitest.mjs');

const tsc = tool('typescript', 'bin', 'tsc');
/** Each step is one command, or several run in order (the step fails at the first that fails). */
const steps = {
  lint: [tool('.bin', 'biome'), ['ci', '.']],
  // The repository's code, then the docs' snippets (their own program: docs/tsconfig.json maps the
  // packages and frameworks they import; under vitest's coverage the same check took 6x as long).
  typecheck: [
    [node, [tsc, '-p', 'tsconfig.json']],
    [node, [tsc, '-p', 'docs/tsconfig.json']],
  ],
  // Two files at a time here (vitest.config.ts says three): the second lane runs beside it, and the
  // suite's child processes, sockets and timers get the same share of the cores as when it ran alone.
  tests: [node, [vitest, 'run', '--coverage', '--maxWorkers=2']],
  runtimes: [node, ['scripts/runtimes.mjs']],
  packages: [node, ['scripts/check-packages.mjs']],
  // Load with faults, re-delivery, hostile input, graceful shutdown: servers in child processes.
  reliability: [node, [vitest, 'run', '--config', 'test/reliability/vitest.config.ts']],
};
/** Phases run one after another; the lanes of a phase side by side, the steps of a lane in order. */
const phases = [
  [
    { steps: ['lint', 'tests'], live: true },
    { steps: ['typecheck', 'runtimes', 'packages'], live: false },
  ],
  [{ steps: ['reliability'], live: true }],
];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in steps));
if (unknown.length > 0) {
  console.error(`unknown step(s): ${unknown.join(', ')}; steps: ${Object.keys(steps).join(', ')}`);
  process.exit(2);
}
const wanted = (name) => only.length === 0 || only.includes(name);
const stopOnFailure = Boolean(process.env.CI);
const results = [];
let failed = false;

const commands = (name) => (Array.isArray(steps[name][0]) ? steps[name] : [steps[name]]);

function shown(name) {
  const lines = commands(name).map(([cmd, args]) =>
    (cmd === node ? ['node', ...args] : [cmd, ...args]).map((a) => a.replace(`${root}/`, '')).join(' '),
  );
  return `== ${name}: ${lines.join(' && ')}`;
}

/** Runs one command; resolves true when it exits with 0. */
function runCommand([cmd, args], live, held) {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: process.env,
      stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    if (!live) {
      child.stdout.on('data', (d) => held.push(d));
      child.stderr.on('data', (d) => held.push(d));
    }
    child.on('error', (error) => {
      held.push(Buffer.from(`\n${error.message}\n`));
      if (live) console.error(error.message);
      done(false);
    });
    child.on('close', (code) => done(code === 0));
  });
}

/** Runs one step; a held step's output is printed in one piece when it ends. */
async function runStep(name, live) {
  const started = Date.now();
  if (live) console.log(`\n${shown(name)}`);
  const held = [];
  let ok = true;
  for (const command of commands(name)) {
    ok = await runCommand(command, live, held);
    if (!ok) break;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!live) {
    const output = Buffer.concat(held).toString('utf8');
    process.stdout.write(`\n${shown(name)}   (ran beside the vitest suite, ${seconds} s)\n${output}`);
  }
  results.push({ name, ok, seconds });
  if (!ok) failed = true;
}

async function runLane(lane) {
  for (const name of lane.steps) {
    if (!wanted(name)) continue;
    if (failed && stopOnFailure) return;
    await runStep(name, lane.live);
  }
}

console.log(
  `(steps run on Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}: ${node})`,
);
const began = Date.now();
for (const lanes of phases) {
  if (failed && stopOnFailure) break;
  const active = lanes.filter((lane) => lane.steps.some(wanted));
  // With one lane left (e.g. a single step asked for), its output is shown live.
  await Promise.all(active.map((lane) => runLane(active.length === 1 ? { ...lane, live: true } : lane)));
}
console.log('\n== summary');
const order = Object.keys(steps);
results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
const failures = results.filter((r) => !r.ok).length;
console.log(
  `steps: ${results.length - failures} passed, ${failures} failed (${((Date.now() - began) / 1000).toFixed(1)} s in all)`,
);
process.exit(failures === 0 && results.length > 0 ? 0 : 1);
