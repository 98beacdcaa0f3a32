import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'crypto', testTimeout: 15_000, include: ['test/**/*.test.ts'] },
});
