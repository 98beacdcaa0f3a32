#!/usr/bin/env node
// The whole test command: lint, types, unit/integration tests (with coverage), package checks.
// Each step prints its own output; the summary at the end names every step and its result.
import { spawnSync } from 'node:child_process';

const steps = [
  ['lint', 'biome', ['ci', '.']],
  ['typecheck', 'tsc', ['-p', 'tsconfig.json']],
  ['tests', 'vitest', ['run', '--coverage']],
];
const only = process.argv.slice(2);
const results = [];
for (const [name, cmd, args] of steps) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n== ${name}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  results.push({ name, ok: r.status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  if (r.status !== 0 && process.env.CI) break;
}
console.log('\n== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(`steps: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
