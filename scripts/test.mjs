#!/usr/bin/env node
// The whole test command: lint, types, unit/integration tests (with coverage), the reliability
// suite, the runtime matrix (Node 20 and 22, Bun, Deno, workerd) and the package checks on packed
// tarballs.
// Each step prints its own output; the summary at the end names every step and its result.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The machine's Node runs every step (the matrix's other runtimes live in test/runtimes, so no
// `node` of theirs is on the root PATH); tools are started by path so no shim can pick another one.
const node = process.execPath;
const tool = (...path) => join(root, 'node_modules', ...path);

const steps = [
  ['lint', 'biome', ['ci', '.']],
  ['typecheck', node, [tool('typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']],
  ['tests', node, [tool('vitest', 'vitest.mjs'), 'run', '--coverage']],
  // Load with faults, re-delivery, hostile input, graceful shutdown: servers in child processes.
  [
    'reliability',
    node,
    [tool('vitest', 'vitest.mjs'), 'run', '--config', 'test/reliability/vitest.config.ts'],
  ],
  ['runtimes', node, ['scripts/runtimes.mjs']],
  ['packages', node, ['scripts/check-packages.mjs']],
];
const only = process.argv.slice(2);
const results = [];
console.log(
  `(steps run on Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}: ${node})`,
);
for (const [name, cmd, args] of steps) {
  if (only.length > 0 && !only.includes(name)) continue;
  const shown = cmd === node ? ['node', ...args.map((a) => a.replace(`${root}/`, ''))] : [cmd, ...args];
  console.log(`\n== ${name}: ${shown.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env, cwd: root });
  results.push({ name, ok: r.status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  if (r.status !== 0 && process.env.CI) break;
}
console.log('\n== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(`steps: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
