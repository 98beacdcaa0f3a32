import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-maven-bot',
    include: ['test/**/*.test.ts'],
    // Child processes (tsx start-up) and real HTTP: generous per-test limits, never asserted on.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
