import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'fastify',
    // Files run three at a time on two cores: a case waits up to 15 s before it counts as hung.
    testTimeout: 15_000,
    include: ['test/**/*.test.ts'],
    // test/*.test-d.ts (type assertions) are compiled by the typecheck step (`tsc -p tsconfig.json`
    // at the root), where a wrong type fails the run; vitest does not compile them a second time.
  },
});
