// One namespace per test file, so files never see each other's objects.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { adminApi } from './cluster.js';
import { stopAllFunctionPods } from './pods.js';

export interface TestNamespace {
  /** The namespace's name; read it inside tests or hooks (it is set in beforeAll). */
  readonly name: string;
}

/** Namespace names are DNS labels: lowercase alphanumerics and '-', at most 63 characters. */
function namespaceName(prefix: string): string {
  const slug = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `sk8s-${slug || 'test'}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates a namespace with a `default` ServiceAccount (without the controllers nothing makes one) before the file's
 * tests, and after them stops the function pods the file started and deletes the namespace.
 */
export function useTestNamespace(prefix = 'test'): TestNamespace {
  let name: string | undefined;
  beforeAll(async () => {
    const api = adminApi();
    const candidate = namespaceName(prefix);
    await api.expect('POST', '/api/v1/namespaces', {
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: candidate, labels: { 'sk8s-test': 'true' } },
      },
    });
    // With the controllers running, the ServiceAccount controller may have made it already.
    const account = await api.request('POST', `/api/v1/namespaces/${candidate}/serviceaccounts`, {
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } },
    });
    if (account.status !== 201 && account.status !== 409) {
      throw new Error(
        `creating the default ServiceAccount: HTTP ${account.status} ${account.text.slice(0, 300)}`,
      );
    }
    name = candidate;
  });
  afterAll(async () => {
    await stopAllFunctionPods();
    if (!name) return;
    // Without the controllers the namespace stays Terminating; the cluster is thrown away after the run.
    const resp = await adminApi().request('DELETE', `/api/v1/namespaces/${name}`);
    if (resp.status !== 200 && resp.status !== 202 && resp.status !== 404) {
      throw new Error(`deleting namespace ${name}: HTTP ${resp.status} ${resp.text.slice(0, 300)}`);
    }
  });
  return {
    get name(): string {
      if (!name) throw new Error('useTestNamespace: the namespace exists only from beforeAll on');
      return name;
    },
  };
}
