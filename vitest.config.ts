import { defineConfig } from 'vitest/config';

// One project per package (each package has its own vitest.config.ts); coverage is collected for all.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'examples/*/vitest.config.ts',
      'docs/vitest.config.ts',
      'test/replicas/vitest.config.ts',
      'test/replicas/vitest.cluster.config.ts',
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        'packages/crypto/src/**': { lines: 97, functions: 97, statements: 97, branches: 92 },
      },
    },
  },
});
