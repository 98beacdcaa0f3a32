import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'express',
    include: ['test/**/*.test.ts'],
    // test/*.test-d.ts (type assertions) are compiled by the typecheck step (`tsc -p tsconfig.json`
    // at the root), where a wrong type fails the run; vitest does not compile them a second time.
  },
});
