#!/usr/bin/env node
// `pnpm demo`: the simulated WeCom and examples/maven-bot on loopback, a readable transcript.
// The demo itself is TypeScript (scripts/demo.ts), run with tsx from the root devDependencies.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(root, 'scripts', 'demo.ts'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
