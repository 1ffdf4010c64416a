// Access to the test cluster that test/harness/global-setup.ts brought up (or that the caller named with
// SK8S_TEST_KUBECONFIG): kubeconfig paths, and the test cluster's own Kubernetes client, which
// reports status codes as they are (the integration tests assert 403/409 exactly).
import { inject } from 'vitest';
import { KubeApi } from '../../packages/test-cluster/src/kube-api.js';

export {
  KubeApi,
  type ApiResponse,
  type KubeObjectJson,
  type RequestOptions,
} from '../../packages/test-cluster/src/kube-api.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sk8sKubeconfig: string;
    /** Empty when an external cluster was given without SK8S_TEST_UNPRIVILEGED_KUBECONFIG. */
    sk8sUnprivilegedKubeconfig: string;
    /** Short id of this run's cluster; network namespaces are named sk8s-<id>-<suffix>. */
    sk8sClusterId: string;
  }
}

export interface TestCluster {
  kubeconfig: string;
  unprivilegedKubeconfig: string | undefined;
  clusterId: string;
}

export function testCluster(): TestCluster {
  const kubeconfig = inject('sk8sKubeconfig') || process.env.SK8S_TEST_KUBECONFIG;
  if (!kubeconfig) {
    throw new Error(
      'no test cluster: run these tests in the vitest `cluster` project, or set SK8S_TEST_KUBECONFIG',
    );
  }
  const unprivileged =
    inject('sk8sUnprivilegedKubeconfig') || process.env.SK8S_TEST_UNPRIVILEGED_KUBECONFIG;
  return {
    kubeconfig,
    unprivilegedKubeconfig: unprivileged || undefined,
    clusterId: inject('sk8sClusterId') || 'ext',
  };
}

let admin: KubeApi | undefined;
let unprivileged: KubeApi | undefined;

/** Client with cluster-admin rights (system:masters). */
export function adminApi(): KubeApi {
  admin ??= KubeApi.fromKubeconfig(testCluster().kubeconfig);
  return admin;
}

/** Client for `sk8s-unprivileged`, a user with no RBAC rules; undefined for an external cluster without one. */
export function unprivilegedApi(): KubeApi | undefined {
  const path = testCluster().unprivilegedKubeconfig;
  if (!path) return undefined;
  unprivileged ??= KubeApi.fromKubeconfig(path);
  return unprivileged;
}

/** Polls check until it returns a value other than undefined/false; bounded by timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}
