// The cluster client against the real kube-apiserver of the test cluster: server-side apply and
// its change detection, conflicts with another field manager, RBAC denials, namespaces, discovery,
// deletion and the service proxy's error path.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import type { ApplyResult, KubeObject } from '../../src/cluster/types.js';
import { UserError } from '../../src/util/errors.js';

const testNamespace = useTestNamespace('cluster-client');
const { kubeconfig, unprivilegedKubeconfig } = testCluster();
/** The harness's user without any RBAC rules. */
const UNPRIVILEGED_USER = 'sk8s-unprivileged';
let namespace = '';
let client: ConnectedClusterClient;

const configMap = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace, labels: { 'serverless-k8s.io/service': 'client-test' } },
  data,
});

const fn = (runtime: string): KubeObject => ({
  apiVersion: 'kubeless.io/v1beta1',
  kind: 'Function',
  metadata: {
    name: 'hello',
    namespace,
    labels: { 'serverless-k8s.io/service': 'client-test', function: 'hello' },
  },
  spec: {
    runtime,
    handler: 'handler.hello',
    function: 'Y29kZQ==',
    'function-content-type': 'base64',
    deps: '',
  },
});

const trigger = (): KubeObject => ({
  apiVersion: 'kubeless.io/v1beta1',
  kind: 'HTTPTrigger',
  metadata: {
    name: 'hello-http',
    namespace,
    labels: { 'serverless-k8s.io/service': 'client-test' },
  },
  spec: { 'function-name': 'hello', 'host-name': 'hello.example.com', path: 'hello' },
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A second tool (kubectl, another deployer) applying with its own field manager. */
async function applyAs(manager: string, object: KubeObject): Promise<void> {
  const { name, namespace: ns } = object.metadata;
  await adminApi().expect('PATCH', `/apis/kubeless.io/v1beta1/namespaces/${ns}/functions/${name}`, {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: manager, force: 'true' },
  });
}

beforeAll(async () => {
  namespace = testNamespace.name;
  client = await connect({ kubeconfigPath: kubeconfig });
});

afterAll(() => {
  client.close();
});

describe('ensureNamespace', () => {
  it('creates a missing namespace once and then reports it exists', async () => {
    const fresh = `${namespace}-new`;
    try {
      expect(await client.ensureNamespace(fresh)).toBe(true);
      expect(await client.ensureNamespace(fresh)).toBe(false);
      expect((await client.get('v1', 'Namespace', undefined, fresh))?.metadata.name).toBe(fresh);
    } finally {
      await client.delete('v1', 'Namespace', undefined, fresh);
    }
  });
});

describe('apply', () => {
  it('applies in dependency order: triggers after functions, namespaces first', async () => {
    const fresh = `${namespace}-order`;
    const results = await client.apply([
      { ...trigger(), metadata: { ...trigger().metadata, namespace: fresh } },
      { ...fn('nodejs14'), metadata: { ...fn('nodejs14').metadata, namespace: fresh } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fresh } },
    ]);
    // Results come back in the order given, whatever order they were applied in.
    expect(results.map((r) => `${r.object.kind}/${r.object.metadata.name}`)).toEqual([
      'HTTPTrigger/hello-http',
      'Function/hello',
      `Namespace/${fresh}`,
    ]);
    const created = (kind: string, name: string, ns?: string) =>
      client
        .get(kind === 'Namespace' ? 'v1' : 'kubeless.io/v1beta1', kind, ns, name)
        .then((o) => o?.metadata.creationTimestamp as string);
    const [nsTime, fnTime] = await Promise.all([
      created('Namespace', fresh),
      created('Function', 'hello', fresh),
    ]);
    expect(new Date(nsTime).getTime()).toBeLessThanOrEqual(new Date(fnTime).getTime());
    await client.delete('v1', 'Namespace', undefined, fresh);
  });

  it('reports changes only when the stored object changed: a second identical apply changes nothing', async () => {
    const first = await client.apply([configMap({ greeting: 'hi' }), fn('nodejs14'), trigger()]);
    expect(first.map((r) => r.changed)).toEqual([true, true, true]);
    expect(first[1]?.object.metadata.managedFields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ manager: 'serverless-k8s', operation: 'Apply' }),
      ]),
    );

    const second = await client.apply([configMap({ greeting: 'hi' }), fn('nodejs14'), trigger()]);
    expect(second.map((r) => r.changed)).toEqual([false, false, false]);

    const third = await client.apply([configMap({ greeting: 'hello' }), fn('nodejs14'), trigger()]);
    expect(third.map((r) => r.changed)).toEqual([true, false, false]);
  });

  it('reads what exists with one metadata list per collection, keeping changed and created exact', async () => {
    const settings = (name: string, value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { 'serverless-k8s.io/service': 'listed' } },
      data: { value },
    });
    // Exists already, made by someone else without our labels: applying it is no creation.
    await adminApi().expect('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'listed-b' }, data: {} },
    });
    const names = ['listed-a', 'listed-b', 'listed-c'];
    await client.hasKind('v1', 'ConfigMap'); // discovery out of the count
    const requests = async (work: () => Promise<ApplyResult[]>) => {
      const start = client.requestCount;
      const results = await work();
      return { results, requests: client.requestCount - start };
    };

    const first = await requests(() => client.apply(names.map((n) => settings(n, '1'))));
    expect(first.results.map((r) => [r.created, r.changed])).toEqual([
      [true, true],
      [false, true],
      [true, true],
    ]);
    expect(first.requests).toBe(1 + names.length); // one list, one apply each

    const again = await requests(() => client.apply(names.map((n) => settings(n, '1'))));
    expect(again.results.map((r) => [r.created, r.changed])).toEqual([
      [false, false],
      [false, false],
      [false, false],
    ]);
    expect(again.requests).toBe(1 + names.length);

    const oneChanged = await client.apply([
      settings('listed-a', '1'),
      settings('listed-b', '2'),
      settings('listed-c', '1'),
    ]);
    expect(oneChanged.map((r) => r.changed)).toEqual([false, true, false]);

    // A dry run compares content: still exact, and nothing is stored.
    const dry = await client.apply(
      [settings('listed-a', '1'), settings('listed-b', '3'), settings('listed-d', '1')],
      { dryRun: true },
    );
    expect(dry.map((r) => [r.created, r.changed])).toEqual([
      [false, false],
      [false, true],
      [true, true],
    ]);
    expect(await client.get('v1', 'ConfigMap', namespace, 'listed-d')).toBeUndefined();
  });

  it('dry-runs without storing, still telling what would change', async () => {
    const [dry] = await client.apply([fn('python3.8')], { dryRun: true });
    expect(dry?.changed).toBe(true);
    expect((dry?.object.spec as { runtime: string }).runtime).toBe('python3.8');
    const stored = await client.get('kubeless.io/v1beta1', 'Function', namespace, 'hello');
    expect((stored?.spec as { runtime: string }).runtime).toBe('nodejs14');
    const [same] = await client.apply([fn('nodejs14')], { dryRun: true });
    expect(same?.changed).toBe(false);
  });

  it('names the other field manager and the fields on a conflict, and takes them over with force', async () => {
    await applyAs('kubectl-edit', { ...fn('nodejs12'), metadata: { name: 'hello', namespace } });
    const error = (await client.apply([fn('nodejs14')]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain(
      `Conflict applying Function "hello" in namespace "${namespace}" in cluster ${client.clusterName}`,
    );
    expect(error.message).toContain('"kubectl-edit" owns .spec.runtime');
    expect(error.message).toContain('--force');

    const [forced] = await client.apply([fn('nodejs14')], { force: true });
    expect(forced?.changed).toBe(true);
    expect((forced?.object.spec as { runtime: string }).runtime).toBe('nodejs14');
  });

  it('explains a kind the cluster does not serve', async () => {
    await expect(
      client.apply([
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace } },
      ]),
    ).rejects.toThrow(
      `Cannot patch Widget "w" in namespace "${namespace}": cluster ${client.clusterName} does not serve Widget in example.com/v1. Is its CustomResourceDefinition installed?`,
    );
  });

  it('passes on the API server validation error with the object named', async () => {
    await expect(
      client.apply([{ ...configMap({}), metadata: { name: 'Not_Valid', namespace } }]),
    ).rejects.toThrow(
      `The API server rejected ConfigMap "Not_Valid" in namespace "${namespace}" in cluster ${client.clusterName} as invalid`,
    );
  });
});

describe('get, list, delete, waitGone', () => {
  it('lists by label selector and treats missing objects and unserved kinds as absent', async () => {
    const listed = await client.list(
      'v1',
      'ConfigMap',
      namespace,
      'serverless-k8s.io/service=client-test',
    );
    expect(listed.map((o) => [o.kind, o.metadata.name])).toEqual([['ConfigMap', 'settings']]);
    expect(
      await client.list('v1', 'ConfigMap', namespace, 'serverless-k8s.io/service=other'),
    ).toEqual([]);
    expect(await client.get('v1', 'ConfigMap', namespace, 'nope')).toBeUndefined();
    expect(await client.list('example.com/v1', 'Widget', namespace)).toEqual([]);
    await expect(client.delete('v1', 'ConfigMap', namespace, 'nope')).resolves.toBeUndefined();
  });

  it('deletes and waits until the objects are gone', async () => {
    const objects = [configMap({}), trigger()];
    for (const object of objects)
      await client.delete(object.apiVersion, object.kind, namespace, object.metadata.name);
    await client.waitGone(objects, 10_000);
    expect(
      await client.get('kubeless.io/v1beta1', 'HTTPTrigger', namespace, 'hello-http'),
    ).toBeUndefined();
  });

  it('gives up waiting with the names of what is still there', async () => {
    await expect(client.waitGone([fn('nodejs14')], 300)).rejects.toThrow(
      `Still present in cluster ${client.clusterName} after 0s: Function/hello.`,
    );
  });
});

describe('hasKind', () => {
  it('sees installed CRDs, core kinds, and not absent ones', async () => {
    expect(await client.hasKind('kubeless.io/v1beta1', 'Function')).toBe(true);
    expect(await client.hasKind('serving.knative.dev/v1', 'Service')).toBe(true);
    expect(await client.hasKind('v1', 'ConfigMap')).toBe(true);
    expect(await client.hasKind('kubeless.io/v1beta1', 'Widget')).toBe(false);
    expect(await client.hasKind('example.com/v1', 'Widget')).toBe(false);
  });

  it('sees a CRD installed after the first look (discovery is not cached as absent)', async () => {
    const group = `${namespace}.example.com`;
    expect(await client.hasKind(`${group}/v1`, 'Gadget')).toBe(false);
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        ],
      },
    };
    // The CRD and an object of its kind in one apply: the CRD goes first and is waited for.
    const results = await client.apply([
      { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1', namespace } },
      crd,
    ]);
    expect(results.map((r) => r.changed)).toEqual([true, true]);
    expect(await client.hasKind(`${group}/v1`, 'Gadget')).toBe(true);
    await client.delete(crd.apiVersion, crd.kind, undefined, crd.metadata.name);
  });
});

describe('transport errors', () => {
  it('names the server and suggests checking the context when TLS verification fails', async () => {
    // The test cluster's kubeconfig without its certificate-authority: the self-signed serving
    // certificate can no longer be verified.
    const config = yaml.load(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: Record<string, unknown> }[];
    };
    for (const { cluster } of config.clusters) delete cluster['certificate-authority-data'];
    const file = join(mkdtempSync(join(tmpdir(), 'sk8s-no-ca-')), 'kubeconfig');
    writeFileSync(file, yaml.dump(config), { mode: 0o600 });
    const untrusted = await connect({ kubeconfigPath: file });
    try {
      const error = (await untrusted
        .list('v1', 'Pod', namespace)
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toMatch(
        new RegExp(
          `^TLS handshake with the API server https://127\\.0\\.0\\.1:\\d+ of ${escape(untrusted.clusterName)} failed`,
        ),
      );
      expect(error.message).toContain(
        'the kubeconfig context is the one you mean (provider.context)',
      );
    } finally {
      untrusted.close();
    }
  });
});

describe('RBAC', () => {
  it.skipIf(!unprivilegedKubeconfig)(
    'names the user, verb, resource and namespace of a 403',
    async () => {
      const denied = await connect({ kubeconfigPath: unprivilegedKubeconfig as string });
      try {
        await expect(denied.list('kubeless.io/v1beta1', 'Function', namespace)).rejects.toThrow(
          `forbidden: user "${UNPRIVILEGED_USER}" cannot list functions.kubeless.io in namespace "${namespace}" in cluster ${denied.clusterName}. ` +
            'Ask a cluster admin to grant it; docs/rbac.md has a least-privilege Role for deployers.',
        );
        await expect(
          denied.get('v1', 'Namespace', undefined, 'sk8s-never-created'),
        ).rejects.toThrow(
          `forbidden: user "${UNPRIVILEGED_USER}" cannot get namespaces at cluster scope`,
        );
      } finally {
        denied.close();
      }
    },
  );
});

describe('proxy', () => {
  const service = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      selector: { function: name },
      ports: [{ name: 'http-function-port', port: 8080, targetPort: 8080, protocol: 'TCP' }],
    },
  });

  it('says the function has no ready pods when its Service has no endpoints', async () => {
    // What the endpoints controller writes for a Service whose pods are not Ready.
    const endpoints: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'idle', namespace },
      subsets: [],
    };
    await client.apply([service('idle'), endpoints]);
    await expect(
      client.proxy(namespace, 'idle', 8080, { method: 'GET', path: '/', headers: {} }),
    ).rejects.toThrow(
      `function "idle" has no ready pods in namespace "${namespace}" (cluster ${client.clusterName})`,
    );
  });

  it('says the same before any Endpoints object exists (no endpoints controller has run yet)', async () => {
    await client.apply([service('fresh')]);
    await expect(
      client.proxy(namespace, 'fresh', 8080, {
        method: 'POST',
        path: '/',
        headers: {},
        body: Buffer.from('{}'),
      }),
    ).rejects.toThrow(`function "fresh" has no ready pods in namespace "${namespace}"`);
  });

  it('says when the Service does not exist', async () => {
    await expect(
      client.proxy(namespace, 'missing', 8080, { method: 'GET', path: '/', headers: {} }),
    ).rejects.toThrow(
      `service "missing:8080" in namespace "${namespace}" does not exist in cluster ${client.clusterName}: is the function deployed?`,
    );
  });
});
