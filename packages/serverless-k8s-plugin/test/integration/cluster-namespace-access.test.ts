// docs/rbac.md §2 is optional: a deployer given only the deployer ClusterRole (bound in its
// namespace) cannot read Namespaces, and deploy must still work in a namespace an admin made.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import type { KubeObject } from '../../src/cluster/types.js';

const testNamespace = useTestNamespace('ns-access');
const { kubeconfig, unprivilegedKubeconfig } = testCluster();
const docFile = fileURLToPath(new URL('../../../../docs/rbac.md', import.meta.url));

let adminClient: ConnectedClusterClient;
let deployer: ConnectedClusterClient;
let granted: KubeObject[] = [];

/** The deployer ClusterRole and its RoleBinding from the page, nothing at cluster scope. */
function deployerRoleOnly(namespace: string): KubeObject[] {
  const text = readFileSync(docFile, 'utf8');
  const documents = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((match) =>
    yaml.loadAll(
      (match[1] as string)
        .replaceAll('DEPLOYER', 'sk8s-unprivileged')
        .replaceAll('NAMESPACE', namespace),
    ),
  ) as KubeObject[];
  return documents.filter((doc) => doc?.metadata?.name === 'serverless-k8s-deployer');
}

const configMap = (namespace: string, name = 'ns-access-probe'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { probe: 'yes' },
});

beforeAll(async () => {
  adminClient = await connect({ kubeconfigPath: kubeconfig });
  if (!unprivilegedKubeconfig) return;
  deployer = await connect({ kubeconfigPath: unprivilegedKubeconfig });
  granted = deployerRoleOnly(testNamespace.name);
  await adminClient.apply(granted);
});

afterAll(async () => {
  for (const object of [...granted].reverse()) {
    await adminClient.delete(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
  }
  adminClient.close();
  if (unprivilegedKubeconfig) deployer.close();
});

describe.skipIf(!unprivilegedKubeconfig)('a deployer without the namespaces ClusterRole', () => {
  it('binds only the deployer role', () => {
    expect(granted.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ClusterRole/serverless-k8s-deployer',
      'RoleBinding/serverless-k8s-deployer',
    ]);
  });

  it('goes on in an existing namespace it may not read, and can apply there', async () => {
    expect(await deployer.ensureNamespace(testNamespace.name)).toBe(false);
    const [result] = await deployer.apply([configMap(testNamespace.name)]);
    expect(result?.created).toBe(true);
  });

  it('applies several objects to a collection that is still empty (first deploy)', async () => {
    const empty = `${testNamespace.name}-empty`;
    await adminClient.ensureNamespace(empty);
    await adminClient.apply(deployerRoleOnly(empty).filter((o) => o.kind === 'RoleBinding'));
    try {
      const results = await deployer.apply([configMap(empty, 'first'), configMap(empty, 'second')]);
      expect(results.map((result) => result.created)).toEqual([true, true]);
    } finally {
      await adminClient.delete('v1', 'Namespace', undefined, empty);
    }
  });

  it('learns of a missing namespace from the apply, by name', async () => {
    const missing = `${testNamespace.name}-missing`;
    expect(await deployer.ensureNamespace(missing)).toBe(false);
    await expect(deployer.apply([configMap(missing)])).rejects.toThrow(missing);
  });
});
