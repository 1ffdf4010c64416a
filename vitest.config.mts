import { defineConfig } from 'vitest/config';

// Three projects:
// - `unit` needs nothing but Node;
// - `cluster` (integration tests) brings up a real kube-apiserver once per run, and the tests play
//   the controllers (test/harness/global-setup.ts);
// - `e2e` brings up the cluster with its real controllers and the node agent
//   (`test-cluster up --controllers`, test/harness/global-setup-controllers.ts): nothing of ours
//   stands in for Kubeless or Kubernetes controllers there.
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
          include: ['packages/*/test/integration/**/*.test.ts', 'test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['packages/*/test/e2e/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup-controllers.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
