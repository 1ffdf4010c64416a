// Readiness of a Kubeless update through deploy's rollout against the real kube-apiserver, with the
// test playing the Kubeless controller and the Deployment controller: right after the changed
// Function is applied the old Deployment still looks ready; deploy must wait for the controller to
// patch the Deployment and for the new ReplicaSet's pods to replace the old ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster, waitFor } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { kubelessLabels } from '../../../../test/harness/pods.js';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import { rollout } from '../../src/commands/deploy.js';
import type { FunctionModel } from '../../src/model/types.js';
import type { FunctionArtifact } from '../../src/packaging/types.js';
import { kubelessProvider } from '../../src/providers/kubeless/index.js';
import { kubelessFunction, kubelessService } from '../unit/kubeless-fixtures.js';
import { commandContext, deletePod, setPodReady, writePod } from './command-harness.js';

const testNamespace = useTestNamespace('kubeless-update');
const NAME = 'upd';
let client: ConnectedClusterClient;
let namespace = '';
let fn: FunctionModel;

beforeAll(async () => {
  namespace = testNamespace.name;
  client = await connect({ kubeconfigPath: testCluster().kubeconfig });
  fn = kubelessFunction(NAME, { namespace });
});

afterAll(() => {
  client.close();
});

const artifact = (version: string): FunctionArtifact => ({
  functionKey: NAME,
  moduleFileName: 'handler.js',
  zip: Buffer.from(`PK code ${version}`),
  checksum: `sha256:${version.repeat(64).slice(0, 64)}`,
  deps: '',
  files: {},
});

/** deploy's rollout of this version of the function, recording what it reported. */
function deployVersion(version: string) {
  const model = kubelessService([fn]);
  const objects = kubelessProvider.render(model, new Map([[NAME, artifact(version)]]));
  const { ctx, output } = commandContext(model, kubelessProvider, client, {
    'wait-timeout': '60s',
  });
  let settled = false;
  const done = rollout(ctx, objects, [fn], { prune: false }).finally(() => {
    settled = true;
  });
  return { done, output, settled: () => settled };
}

const apps = () => `/apis/apps/v1/namespaces/${namespace}`;
const labels = kubelessLabels(NAME);

/** What the controller's Deployment looks like; `checksum` stands for the provision container's. */
function deploymentSpec(checksum: string) {
  return {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels, annotations: { 'sk8s-test/checksum': checksum } },
      spec: { containers: [{ name: NAME, image: 'kubeless/nodejs:14' }] },
    },
  };
}

/** The kubelet's part: the ReplicaSet's pod `<name>-<hash>-a`, Ready or still starting. */
async function replicaPod(hash: string, ready: boolean): Promise<void> {
  await writePod(
    namespace,
    `${NAME}-${hash}-a`,
    { ...labels, 'pod-template-hash': hash },
    {
      ready,
      containerName: NAME,
    },
  );
}

async function setDeploymentStatus(status: Record<string, number>): Promise<void> {
  await adminApi().expect('PATCH', `${apps()}/deployments/${NAME}/status`, {
    contentType: 'application/merge-patch+json',
    body: { status },
  });
}

/** The Deployment controller's part: a ReplicaSet of this revision owned by the Deployment. */
async function createReplicaSet(revision: string, hash: string, uid: string): Promise<void> {
  const podLabels = { ...labels, 'pod-template-hash': hash };
  await adminApi().expect('POST', `${apps()}/replicasets`, {
    body: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${NAME}-${hash}`,
        labels: podLabels,
        annotations: { 'deployment.kubernetes.io/revision': revision },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME, uid, controller: true },
        ],
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: podLabels },
        template: {
          metadata: { labels: podLabels },
          spec: { containers: [{ name: NAME, image: 'kubeless/nodejs:14' }] },
        },
      },
    },
  });
}

/** Polls of waitReady happen every 500 ms: this long covers several. */
const severalPolls = () => new Promise((resolve) => setTimeout(resolve, 1_600));

describe('kubeless readiness after an update', () => {
  it('reports a first and an unchanged deploy ready from the Deployment, as before', async () => {
    // The controller has run for version 1: Deployment, ReplicaSet and a Ready pod.
    const created = await adminApi().expect('POST', `${apps()}/deployments`, {
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        // The Deployment controller's revision annotation, set here at once: a Deployment's
        // annotation change bumps its generation like a spec change.
        metadata: {
          name: NAME,
          labels,
          annotations: { 'deployment.kubernetes.io/revision': '1' },
        },
        spec: deploymentSpec('1'),
      },
    });
    await createReplicaSet('1', 'old1', created.metadata?.uid ?? '');
    await replicaPod('old1', true);
    await setDeploymentStatus({
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
    });

    const first = deployVersion('1');
    await first.done;
    expect(first.output.logs).toContain('success: upd ready (1/1)');
    const again = deployVersion('1');
    await again.done;
    expect(again.output.logs.some((line) => line.startsWith('success: No changes:'))).toBe(true);
    expect(again.output.logs).toContain('success: upd ready (1/1)');
  });

  it('waits for the controller to roll out the updated Function before reporting it ready', async () => {
    const update = deployVersion('2');
    await waitFor(
      'the updated Function to be applied',
      async () => {
        const applied = await client.get('kubeless.io/v1beta1', 'Function', namespace, NAME);
        return (applied?.spec as { checksum?: string } | undefined)?.checksum?.startsWith(
          'sha256:2222',
        );
      },
      { timeoutMs: 20_000 },
    );
    // The old Deployment is still fully ready, but it is the old version.
    await severalPolls();
    expect(update.settled()).toBe(false);
    expect(update.output.progress).toContain(
      'upd: waiting for the Kubeless controller to roll out the update (Deployment generation still 1)',
    );

    // The controller patches the Deployment (new checksum → generation 2); the Deployment
    // controller starts a new ReplicaSet whose pod is not Ready yet, the old pod still serves.
    const patched = await adminApi().expect('PATCH', `${apps()}/deployments/${NAME}`, {
      contentType: 'application/merge-patch+json',
      body: {
        metadata: { annotations: { 'deployment.kubernetes.io/revision': '2' } },
        spec: deploymentSpec('2'),
      },
    });
    expect(patched.metadata?.generation).toBe(2);
    await createReplicaSet('2', 'new2', patched.metadata?.uid ?? '');
    await replicaPod('new2', false);
    await setDeploymentStatus({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 1,
      readyReplicas: 1,
    });
    await severalPolls();
    expect(update.settled()).toBe(false);

    // The new pod is Ready and the old one is gone: the rollout is done.
    await setPodReady(namespace, `${NAME}-new2-a`, true);
    await deletePod(namespace, `${NAME}-old1-a`);
    await setDeploymentStatus({
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
    });
    await update.done;
    expect(update.output.logs).toContain('notice:   configured Function/upd');
    expect(update.output.logs).toContain('success: upd ready (1/1)');
  });
});
