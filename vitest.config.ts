import { defineConfig } from 'vitest/config';

// One project per package (each package has its own vitest.config.ts); coverage is collected for all.
export default defineConfig({
  test: {
    // Vitest's default on a 2-core machine is one worker (cores - 1), so every file waited for the
    // one before it, though most of them wait on child processes, sockets and timers rather than
    // computing. Three files at a time keep both cores busy; the projects that need the machine to
    // themselves (test/replicas) still run their own files one at a time, and the packages' projects
    // give a case 15 s (not vitest's 5 s) before it counts as hung.
    maxWorkers: 3,
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
