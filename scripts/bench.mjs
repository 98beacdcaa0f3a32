#!/usr/bin/env node
// Runs the `bench` script of every package that has one and prints their output as it comes.
// Benchmarks print figures only; nothing here asserts a time. Exit status: non-zero if a bench crashed.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
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
process.exit(run.status ?? 1);
