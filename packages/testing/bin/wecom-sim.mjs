#!/usr/bin/env node
// The `wecom-sim` command. An installed package runs the built CLI (dist/cli.mjs). In this
// repository before `pnpm build` there is no dist, so it runs the TypeScript source through tsx
// (a devDependency of the repository root); the bin therefore always points at a file that exists.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.mjs', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
