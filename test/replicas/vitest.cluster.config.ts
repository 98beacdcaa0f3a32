import { defineProject } from 'vitest/config';

// The same replica scenarios as vitest.config.ts, on a real 3-master Redis Cluster started by
// cluster-setup.ts instead of a single Redis. The outage file kills and restarts a single server,
// so it stays on the single-node project.
export default defineProject({
  test: {
    name: 'replicas-cluster',
    include: ['maven-bot.test.ts', 'hermes-callback.test.ts'],
    globalSetup: ['./cluster-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
