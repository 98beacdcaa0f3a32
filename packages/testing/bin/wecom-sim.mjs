#!/usr/bin/env node
// The `wecom-sim` command. An installed package (which ships bin/ and dist/, no src/) runs the built
// CLI, dist/cli.mjs. In this repository src/ is there and the workspace packages it imports resolve
// to their TypeScript sources, so it runs src/cli.ts through tsx (a devDependency of the repository
// root) even after `pnpm build` has written a dist/ beside it.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli.mjs', import.meta.url).href);
}
