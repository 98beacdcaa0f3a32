import { defineProject } from 'vitest/config';

// Several example processes sharing one Redis, driven by the simulated WeCom over real HTTP.
// Each file starts its own fleet of child processes, so files run one after another (two cores
// are enough). The Redis comes from the redis package's global setup: REDIS_URL, else a private
// redis-server, else one loud skip line (a failure under WECOM_REQUIRE_REDIS=1).
export default defineProject({
  test: {
    name: 'replicas',
    include: ['**/*.test.ts'],
    globalSetup: ['../../packages/redis/test/global-setup.ts'],
    fileParallelism: false,
    // Child processes (tsx start-up) and real HTTP: generous limits, never asserted on.
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
