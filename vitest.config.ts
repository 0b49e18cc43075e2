import { defineConfig } from 'vitest/config';

// Two projects: unit tests run in parallel; integration tests (real servers, namespaces, faults)
// run one file at a time, since CI has 2 cores and they share the machine's network state.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/integration/**'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});
