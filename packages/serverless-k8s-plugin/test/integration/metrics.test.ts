// `serverless metrics` against the real kube-apiserver: two real runtime processes serve one
// function's pods; each is called a known number of times through its own pod proxy, and the
// command must read /metrics of every Ready pod (not one pod per service-proxy call) and sum them.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { netnsSupport } from '../../../../test/harness/netns.js';
import { kubelessLabels, startFunctionPod } from '../../../../test/harness/pods.js';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import { metricsCommand } from '../../src/commands/metrics.js';
import { kubelessProvider } from '../../src/providers/kubeless/index.js';
import { kubelessFunction, kubelessService } from '../unit/kubeless-fixtures.js';
import { commandContext, deletePod, writePod } from './command-harness.js';

const testNamespace = useTestNamespace('metrics-pods');
const netns = await netnsSupport();
const handler = fileURLToPath(new URL('../fixtures/cluster-proxy/handler.mjs', import.meta.url));
let client: ConnectedClusterClient;

beforeAll(async () => {
  client = await connect({ kubeconfigPath: testCluster().kubeconfig });
});

afterAll(() => {
  client.close();
});

/** Runs `metrics` for these functions; returns stdout's table rows (cells by column) and warnings. */
async function runMetrics(functionNames: string[]) {
  const functions = functionNames.map((name) =>
    kubelessFunction(name, { namespace: testNamespace.name, port: 8080 }),
  );
  const { ctx, output } = commandContext(kubelessService(functions), kubelessProvider, client);
  await metricsCommand(ctx);
  const [header, ...lines] = output.text;
  const rows = Object.fromEntries(
    lines.map((line) => line.split(/\s{2,}/)).map(([name, ...cells]) => [name, cells]),
  );
  const warnings = output.logs
    .filter((line) => line.startsWith('warning: '))
    .map((line) => line.slice('warning: '.length));
  return { header, rows, warnings };
}

/** Calls one pod directly (its pod proxy), so the test decides which process counts the call. */
async function callPod(podName: string, data: Record<string, unknown>): Promise<number> {
  const response = await adminApi().request(
    'POST',
    `/api/v1/namespaces/${testNamespace.name}/pods/${podName}:8080/proxy/`,
    { body: data },
  );
  return response.status;
}

describe('metrics', () => {
  it.skipIf(!netns.ok)(
    'sums calls, failures and durations over every Ready pod and names a pod it cannot read',
    async () => {
      const namespace = testNamespace.name;
      const pod = () =>
        startFunctionPod({
          namespace,
          name: 'counted',
          labels: kubelessLabels('counted'),
          serviceName: 'counted',
          servicePort: 8080,
          port: 8080,
          moduleFile: handler,
          handler: 'echo',
          containerName: 'counted',
        });
      const [first, second] = await Promise.all([pod(), pod()]);
      // first: 3 calls, 1 failing (the handler's 422); second: 2 calls, both failing.
      const firstStatuses = [
        await callPod(first.podName, { a: 1 }),
        await callPod(first.podName, { a: 2 }),
        await callPod(first.podName, { missing: 'id' }),
      ];
      const secondStatuses = [
        await callPod(second.podName, { missing: 'id' }),
        await callPod(second.podName, { missing: 'name' }),
      ];
      expect(firstStatuses).toEqual([200, 200, 422]);
      expect(secondStatuses).toEqual([422, 422]);

      const summed = await runMetrics(['counted', 'absent']);
      expect(summed.header).toMatch(
        /^FUNCTION\s+PODS\s+CALLS\s+FAILURES\s+TOTAL DURATION\s+AVG DURATION$/,
      );
      expect(summed.rows.counted?.slice(0, 3)).toEqual(['2', '5', '3']);
      expect(summed.rows.counted?.[3]).toMatch(/^\d+(\.\d+)?(ms|s)$/);
      expect(summed.rows.counted?.[4]).toMatch(/^\d+(\.\d+)?(ms|s)$/);
      expect(summed.rows.absent).toEqual([
        '0',
        '-',
        '-',
        '-',
        `- (no ready pods in namespace "${namespace}": is the function deployed?)`,
      ]);
      expect(summed.warnings).toEqual([]);

      // A Ready pod whose runtime cannot be reached: named in a note, the others still summed.
      const ghost = 'counted-ghost';
      await writePod(namespace, ghost, kubelessLabels('counted'), {
        ready: true,
        containerName: 'counted',
        containerPort: 9,
        podIP: '127.0.0.1',
      });
      try {
        const partial = await runMetrics(['counted']);
        expect(partial.rows.counted?.slice(0, 3)).toEqual(['2', '5', '3']);
        expect(partial.warnings).toHaveLength(1);
        expect(partial.warnings[0]).toMatch(/^counted: pod counted-ghost not counted: \S/);
      } finally {
        await deletePod(namespace, ghost);
      }
    },
  );
});
