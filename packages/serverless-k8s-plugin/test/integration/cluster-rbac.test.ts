// docs/rbac.md's least-privilege Roles, applied exactly as the page writes them, bound to the test
// cluster's unprivileged user by an admin: a deploy-like sequence works, anything else is refused.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { FunctionModel, ServiceModel } from '../../src/model/types.js';
import type { FunctionArtifact } from '../../src/packaging/types.js';
import { kubelessProvider } from '../../src/providers/kubeless/index.js';
import { kubelessFunction, kubelessService } from '../unit/kubeless-fixtures.js';

const testNamespace = useTestNamespace('cluster-rbac');
const { kubeconfig, unprivilegedKubeconfig } = testCluster();
/** The harness's user without any RBAC rules of its own. */
const unprivilegedUser = 'sk8s-unprivileged';
let namespace = '';
let unboundNamespace = '';
const docFile = fileURLToPath(new URL('../../../../docs/rbac.md', import.meta.url));

/** The YAML code blocks of the page, in order, each parsed into its documents. */
function docBlocks(): KubeObject[][] {
  const blocks = [...readFileSync(docFile, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (match) => match[1] as string,
  );
  return blocks.map((block) =>
    yaml
      .loadAll(block.replaceAll('DEPLOYER', unprivilegedUser).replaceAll('NAMESPACE', namespace))
      .filter((doc): doc is KubeObject => typeof doc === 'object' && doc !== null),
  );
}

let adminClient: ConnectedClusterClient;
let deployer: ConnectedClusterClient;
let rbacObjects: KubeObject[] = [];

let fn: FunctionModel;
let model: ServiceModel;
const artifact: FunctionArtifact = {
  functionKey: 'orders',
  moduleFileName: 'handler.js',
  zip: Buffer.from('PK'),
  checksum: 'sha256:00',
  deps: '',
  files: {},
};

beforeAll(async () => {
  namespace = testNamespace.name;
  unboundNamespace = `${namespace}-unbound`;
  fn = kubelessFunction('orders', {
    namespace,
    events: [
      { kind: 'http', name: 'orders-http', path: '/orders', hostname: 'orders.example.com' },
      { kind: 'schedule', name: 'orders-nightly', cron: '0 2 * * *' },
    ],
  });
  model = kubelessService([fn]);
  adminClient = await connect({ kubeconfigPath: kubeconfig });
  if (!unprivilegedKubeconfig) return;
  deployer = await connect({ kubeconfigPath: unprivilegedKubeconfig });
  rbacObjects = docBlocks().flat();
  await adminClient.apply(rbacObjects);
});

afterAll(async () => {
  // Bindings first, so the user loses access before the roles go.
  for (const object of [...rbacObjects].reverse()) {
    await adminClient.delete(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
  }
  await adminClient.delete('v1', 'Namespace', undefined, unboundNamespace);
  adminClient.close();
  if (unprivilegedKubeconfig) deployer.close();
});

// An external cluster given without an unprivileged user cannot show a denial.
describe.skipIf(!unprivilegedKubeconfig)('docs/rbac.md', () => {
  it('has the three roles and the bindings', () => {
    expect(rbacObjects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ClusterRole/serverless-k8s-deployer',
      'ClusterRole/serverless-k8s-namespaces',
      'Role/serverless-k8s-read-kubeless-config',
      'RoleBinding/serverless-k8s-deployer',
      `ClusterRoleBinding/serverless-k8s-namespaces-${unprivilegedUser}`,
      `RoleBinding/serverless-k8s-read-kubeless-config-${unprivilegedUser}`,
    ]);
  });

  it('lets the deployer do what deploy, info, invoke and remove do', async () => {
    expect(await deployer.ensureNamespace(namespace)).toBe(false);
    await expect(kubelessProvider.preflight(deployer, model)).resolves.toEqual({ warnings: [] });

    const objects = kubelessProvider.render(model, new Map([['orders', artifact]]));
    expect((await deployer.apply(objects)).every((r) => r.changed)).toBe(true);
    expect((await deployer.apply(objects)).some((r) => r.changed)).toBe(false);

    // Prune: list what the service owns, delete what is gone from serverless.yml.
    const owned = await deployer.list(
      'kubeless.io/v1beta1',
      'CronJobTrigger',
      namespace,
      'serverless-k8s.io/service=cluster-test',
    );
    expect(owned.map((o) => o.metadata.name)).toEqual(['trigger-orders']);
    await deployer.delete('kubeless.io/v1beta1', 'CronJobTrigger', namespace, 'trigger-orders');

    // Readiness and info read Deployments, ReplicaSets, Pods, triggers and Ingresses.
    const [status] = await kubelessProvider.waitReady(deployer, model, [fn], {
      timeoutMs: 300,
      progress: { update: () => {} },
    });
    expect(status?.problem).toContain('no Deployment or pods for function "orders"');
    const info = await kubelessProvider.describe(deployer, model, fn);
    expect(info.triggers).toEqual([
      { kind: 'HTTPTrigger', name: 'orders-http', detail: 'http://orders.example.com/orders' },
    ]);

    // invoke goes through services/proxy: allowed, and here answered by "no ready pods", not 403.
    await adminClient.apply([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'orders', namespace },
        spec: {
          selector: { function: 'orders' },
          ports: [{ name: 'http-function-port', port: 8080, targetPort: 8080, protocol: 'TCP' }],
        },
      },
    ]);
    const target = await kubelessProvider.proxyTarget(deployer, fn);
    await expect(
      deployer.proxy(target.namespace, target.service, target.port, {
        method: 'POST',
        path: '/',
        headers: {},
      }),
    ).rejects.toThrow('function "orders" has no ready pods');
  });

  it('lets the deployer create a namespace, but not work in it before it is bound there', async () => {
    expect(await deployer.ensureNamespace(unboundNamespace)).toBe(true);
    const elsewhere = kubelessProvider.render(
      kubelessService([{ ...fn, namespace: unboundNamespace, events: [] }]),
      new Map([['orders', artifact]]),
    );
    await expect(deployer.apply(elsewhere)).rejects.toThrow(
      `forbidden: user "${unprivilegedUser}" cannot get functions.kubeless.io in namespace "${unboundNamespace}" in cluster ${deployer.clusterName}`,
    );
  });

  it('refuses verbs and resources the Roles do not list, naming them', async () => {
    await expect(deployer.list('v1', 'Secret', namespace)).rejects.toThrow(
      `forbidden: user "${unprivilegedUser}" cannot list secrets in namespace "${namespace}" in cluster ${deployer.clusterName}. ` +
        'Ask a cluster admin to grant it; docs/rbac.md has a least-privilege Role for deployers.',
    );
    await expect(deployer.delete('v1', 'Namespace', undefined, namespace)).rejects.toThrow(
      `forbidden: user "${unprivilegedUser}" cannot delete namespaces at cluster scope`,
    );
    await expect(deployer.list('v1', 'ConfigMap', 'kubeless')).rejects.toThrow(
      `forbidden: user "${unprivilegedUser}" cannot list configmaps in namespace "kubeless"`,
    );
  });
});
