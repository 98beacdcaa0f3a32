import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'koa',
    include: ['test/**/*.test.ts'],
    // test/*.test-d.ts: type assertions, checked by tsc (a wrong type fails the run).
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
