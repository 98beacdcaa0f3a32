import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'callback', include: ['test/**/*.test.ts'] },
});
