import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `cluster` (integration + e2e) brings up a real
// kube-apiserver once per run through test/harness/global-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/test/unit/**/*.test.ts',
            'examples/*/test/**/*.test.ts',
            'test/unit/**/*.test.ts',
          ],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: [
            'packages/*/test/{integration,e2e}/**/*.test.ts',
            'test/{integration,e2e}/**/*.test.ts',
          ],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
