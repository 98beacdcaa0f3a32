import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Its own run (`pnpm test:reliability`, a step of scripts/test.mjs), not part of the unit projects:
// it starts servers in child processes and pushes over 120,000 requests through them. Files run one
// after another so each scenario has the two cores to itself. Outcomes are asserted, never times.
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  // Vite's cache with the repository's, not in a node_modules/ inside test/.
  cacheDir: resolve(here, '..', '..', 'node_modules', '.vite', 'reliability'),
  test: {
    name: 'reliability',
    root: here,
    include: ['**/*.test.ts'],
    // The summary table; and the test Redis (REDIS_URL, else a private redis-server) for the kill -9
    // and outage files, a failure under WECOM_REQUIRE_REDIS=1 when there is none.
    globalSetup: ['./global-setup.ts', '../../packages/redis/test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
