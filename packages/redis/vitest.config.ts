import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'redis',
    testTimeout: 15_000,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
  },
});
