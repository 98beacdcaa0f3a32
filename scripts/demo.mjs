#!/usr/bin/env node
// Placeholder demo until the examples land: round-trips a bot message through the codec.
import { spawnSync } from 'node:child_process';

const r = spawnSync('tsx', ['scripts/demo-codec.ts'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
