import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'testing', testTimeout: 15_000, include: ['test/**/*.test.ts'] },
});
