// The Kubeless provider's cluster side against the real kube-apiserver: preflight (CRDs, runtimes
// from kubeless-config), readiness and failure diagnosis from Pods and Deployments the harness
// writes as the controller and a kubelet would, `info`, and invoke through the service proxy into
// a real runtime process in a network namespace.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { netnsSupport } from '../../../../test/harness/netns.js';
import { failPod, kubelessLabels, startFunctionPod } from '../../../../test/harness/pods.js';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { FunctionArtifact } from '../../src/packaging/types.js';
import { createKubelessProvider, kubelessProvider } from '../../src/providers/kubeless/index.js';
import { UserError } from '../../src/util/errors.js';
import { kubelessFunction, kubelessService } from '../unit/kubeless-fixtures.js';

const testNamespace = useTestNamespace('cluster-kubeless');
const netns = await netnsSupport();
const proxyHandler = fileURLToPath(
  new URL('../fixtures/cluster-proxy/handler.mjs', import.meta.url),
);
let namespace = '';
let client: ConnectedClusterClient;

const fnIn = (name: string, overrides: Parameters<typeof kubelessFunction>[1] = {}) =>
  kubelessFunction(name, { namespace, ...overrides });

/** A function process serving through the proxy, as the controller and kubelet would run it. */
const servingPod = (name: string) =>
  startFunctionPod({
    namespace,
    name,
    labels: kubelessLabels(name),
    serviceName: name,
    servicePort: 8080,
    servicePortName: 'http-function-port',
    port: 8080,
    moduleFile: proxyHandler,
    handler: 'echo',
  });

beforeAll(async () => {
  namespace = testNamespace.name;
  client = await connect({ kubeconfigPath: testCluster().kubeconfig });
});

afterAll(() => {
  client.close();
});

describe('preflight', () => {
  it('accepts runtimes the cluster lists in kubeless-config', async () => {
    const model = kubelessService([
      fnIn('ok', { runtime: 'nodejs14' }),
      fnIn('py', { runtime: 'python3.7' }),
    ]);
    await expect(kubelessProvider.preflight(client, model)).resolves.toEqual({ warnings: [] });
  });

  it('rejects an unknown runtime, suggesting the closest one and listing the valid ones', async () => {
    const model = kubelessService([fnIn('ok'), fnIn('classic', { runtime: 'python' })]);
    const error = (await kubelessProvider
      .preflight(client, model)
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /^function "classic": runtime "python" is not available — did you mean "python3\.8"\?\n/,
    );
    expect(error.message).toContain(
      // The stock kubeless-config's order (runtimes.jsonnet of kubeless/runtimes @325e024).
      `Valid runtimes in cluster ${client.clusterName} (from kubeless/kubeless-config): ballerina0.981.0, dotnetcore2.0,`,
    );
    // Only the functions being deployed are checked (deploy function -f ok).
    await expect(kubelessProvider.preflight(client, model, [fnIn('ok')])).resolves.toEqual({
      warnings: [],
    });
  });

  it('skips the runtime check with a warning when kubeless-config is not there', async () => {
    const elsewhere = createKubelessProvider({ configNamespace: namespace });
    const notes = await elsewhere.preflight(
      client,
      kubelessService([fnIn('any', { runtime: 'anything' })]),
    );
    expect(notes).toEqual({
      warnings: [
        `Runtimes not checked: ConfigMap ${namespace}/kubeless-config not found in cluster ${client.clusterName}.`,
      ],
    });
  });

  it('says Kubeless is not installed when the Function CRD is missing', async () => {
    // Read back in the version Kubeless installs it with (v1beta1, no schema) where the server
    // still serves that; a v1 read of a schemaless CRD cannot be applied again.
    const read = (version: string) =>
      client.get(
        `apiextensions.k8s.io/${version}`,
        'CustomResourceDefinition',
        undefined,
        'functions.kubeless.io',
      );
    const installed = (await read('v1beta1')) ?? (await read('v1'));
    if (!installed) throw new Error('the test cluster has no functions.kubeless.io CRD');
    const { name, labels, annotations } = installed.metadata;
    const reinstall: KubeObject = {
      apiVersion: installed.apiVersion,
      kind: installed.kind,
      metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
      spec: installed.spec,
    };
    await client.delete(reinstall.apiVersion, reinstall.kind, undefined, name);
    try {
      await client.waitGone([reinstall], 30_000);
      await expect(
        kubelessProvider.preflight(client, kubelessService([fnIn('any')])),
      ).rejects.toThrow(
        `Kubeless is not installed in cluster ${client.clusterName} (CRD functions.kubeless.io missing).`,
      );
    } finally {
      await client.apply([reinstall]); // waits until Established again
    }
    expect(await client.hasKind('kubeless.io/v1beta1', 'Function')).toBe(true);
  });
});

describe('waitReady', () => {
  it.skipIf(!netns.ok)(
    'reports ready, crash-looping, image-pull and never-started functions, each with its reason',
    async () => {
      await servingPod('ready-fn');
      const crash = await failPod({
        namespace,
        name: 'crash-fn',
        labels: kubelessLabels('crash-fn'),
        reason: 'CrashLoopBackOff',
        exitCode: 1,
        restartCount: 5,
        message: "SyntaxError: Unexpected token '}'",
      });
      const missingImage = 'registry.invalid/no-such-image:1';
      const pull = await failPod({
        namespace,
        name: 'pull-fn',
        labels: kubelessLabels('pull-fn'),
        reason: 'ImagePullBackOff',
        image: missingImage,
        message: 'manifest unknown: manifest unknown',
      });
      // A Deployment the controller made and reports ready, its pods not listed here.
      const deployments = `/apis/apps/v1/namespaces/${namespace}/deployments`;
      const deployment = await adminApi().expect('POST', deployments, {
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'dep-fn', labels: kubelessLabels('dep-fn') },
          spec: {
            replicas: 2,
            selector: { matchLabels: { function: 'dep-fn' } },
            template: {
              metadata: { labels: { function: 'dep-fn' } },
              spec: { containers: [{ name: 'dep-fn', image: 'kubeless/nodejs:14' }] },
            },
          },
        },
      });
      await adminApi().expect('PUT', `${deployments}/dep-fn/status`, {
        body: {
          ...deployment,
          status: {
            observedGeneration: deployment.metadata?.generation,
            replicas: 2,
            readyReplicas: 2,
          },
        },
      });

      const functions = ['ready-fn', 'crash-fn', 'pull-fn', 'dep-fn', 'never-fn'].map((name) =>
        fnIn(name),
      );
      const progress: string[] = [];
      const statuses = await kubelessProvider.waitReady(
        client,
        kubelessService(functions),
        functions,
        { timeoutMs: 2_000, progress: { update: (message) => progress.push(message) } },
      );
      const byName = new Map(statuses.map((status) => [status.name, status]));

      expect(byName.get('ready-fn')).toEqual({
        name: 'ready-fn',
        namespace,
        ready: true,
        readyReplicas: 1,
        desiredReplicas: 1,
      });
      expect(byName.get('dep-fn')).toEqual({
        name: 'dep-fn',
        namespace,
        ready: true,
        readyReplicas: 2,
        desiredReplicas: 2,
      });
      // The local API server has no kubelet to serve previous logs: the termination message has to do.
      expect(byName.get('crash-fn')).toMatchObject({ ready: false, readyReplicas: 0 });
      expect(byName.get('crash-fn')?.problem).toBe(
        `pod ${crash.podName}: container "crash-fn" keeps crashing (CrashLoopBackOff, 5 restarts): ` +
          "last exit code 1 (Error); termination message: SyntaxError: Unexpected token '}'.",
      );
      // The status says pulling keeps failing; the kubelet's Event says why.
      expect(byName.get('pull-fn')?.problem).toBe(
        `pod ${pull.podName}: container "pull-fn" cannot pull image "${missingImage}" (ImagePullBackOff): ` +
          'manifest unknown: manifest unknown\n' +
          `Last pull error: Failed to pull image "${missingImage}": manifest unknown: manifest unknown`,
      );
      expect(byName.get('never-fn')).toMatchObject({
        ready: false,
        readyReplicas: 0,
        desiredReplicas: 1,
      });
      expect(byName.get('never-fn')?.problem).toBe(
        `not ready after 2s: no Deployment or pods for function "never-fn" appeared in namespace "${namespace}" (is the Kubeless controller running?)`,
      );
      expect(progress).toContain('ready-fn: ready (1/1 ready)');
      expect(progress).toContain(
        'never-fn: waiting for the Kubeless controller to create the Deployment',
      );
    },
  );

  it('times out with the last seen pod states', async () => {
    const fn = fnIn('slow-fn');
    // A pod the kubelet has not started yet (status as written right after scheduling).
    const pods = `/api/v1/namespaces/${namespace}/pods`;
    const pod = await adminApi().expect('POST', pods, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'slow-fn-1', labels: kubelessLabels('slow-fn') },
        spec: {
          automountServiceAccountToken: false,
          containers: [{ name: 'slow-fn', image: 'kubeless/nodejs:14' }],
        },
      },
    });
    const waiting = { reason: 'ContainerCreating' };
    await adminApi().expect('PUT', `${pods}/slow-fn-1/status`, {
      body: {
        ...pod,
        status: {
          phase: 'Pending',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [
            {
              name: 'slow-fn',
              image: 'kubeless/nodejs:14',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting },
            },
          ],
        },
      },
    });
    const [status] = await kubelessProvider.waitReady(client, kubelessService([fn]), [fn], {
      timeoutMs: 700,
      progress: { update: () => {} },
    });
    expect(status?.problem).toBe(
      'not ready after 1s (0/1 ready (ContainerCreating)); last seen:\npod slow-fn-1: ContainerCreating',
    );
  });

  it.skipIf(!netns.ok)('keeps polling until a function that starts later is ready', async () => {
    const fn = fnIn('late-fn');
    const waiting = kubelessProvider.waitReady(client, kubelessService([fn]), [fn], {
      timeoutMs: 30_000,
      progress: { update: () => {} },
    });
    await servingPod('late-fn');
    expect((await waiting)[0]).toMatchObject({ ready: true, readyReplicas: 1 });
  });
});

describe('describe, proxyTarget, invoke', () => {
  const artifact: FunctionArtifact = {
    functionKey: 'shop',
    moduleFileName: 'handler.js',
    zip: Buffer.from('PK'),
    checksum: 'sha256:0000',
    deps: '',
    files: {},
  };
  const shop = () =>
    fnIn('shop', {
      events: [
        { kind: 'http', name: 'shop-http', path: '/orders', hostname: 'shop.example.com' },
        { kind: 'http', name: 'shop-http-plain', path: '/plain', hostname: 'plain.example.com' },
        { kind: 'schedule', name: 'shop-nightly', cron: '0 3 * * *' },
        { kind: 'queue', name: 'shop-orders', queue: 'kafka', topic: 'orders' },
      ],
    });

  it('shows runtime, handler, readiness and triggers with the Ingress URL', async () => {
    const model = kubelessService([shop()]);
    await client.apply(kubelessProvider.render(model, new Map([['shop', artifact]])));
    // What the Kubeless HTTP trigger controller would create for shop-http.
    await client.apply([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'shop-http', namespace },
        spec: {
          tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
          rules: [
            {
              host: 'shop.example.com',
              http: {
                paths: [
                  {
                    path: '/orders',
                    pathType: 'Prefix',
                    backend: { service: { name: 'shop', port: { number: 8080 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    ]);
    const info = await kubelessProvider.describe(client, model, shop());
    expect(info).toMatchObject({
      name: 'shop',
      namespace,
      runtime: 'nodejs14',
      handler: 'handler.hello',
      ready: false,
      readyReplicas: 0,
      desiredReplicas: 1,
      url: 'https://shop.example.com/orders',
    });
    expect(info.triggers).toEqual([
      { kind: 'HTTPTrigger', name: 'shop-http', detail: 'https://shop.example.com/orders' },
      { kind: 'HTTPTrigger', name: 'shop-http-plain', detail: 'http://plain.example.com/plain' },
      { kind: 'CronJobTrigger', name: 'trigger-shop', detail: '0 3 * * *' },
      { kind: 'KafkaTrigger', name: 'shop-orders', detail: 'topic orders' },
    ]);
  });

  it('says a function is not deployed', async () => {
    const info = await kubelessProvider.describe(client, kubelessService([shop()]), fnIn('ghost'));
    expect(info).toMatchObject({
      ready: false,
      problem: `not deployed (no Function "ghost" in namespace "${namespace}" of cluster ${client.clusterName})`,
    });
  });

  it('says a function without its Service is not deployed', async () => {
    await expect(kubelessProvider.proxyTarget(client, shop())).rejects.toThrow(
      `Function "shop" has no Service "shop" in namespace "${namespace}" of cluster ${client.clusterName}`,
    );
  });

  it.skipIf(!netns.ok)(
    'invokes through the service proxy into the function process, passing its errors through',
    async () => {
      const echo = fnIn('echo');
      await servingPod('echo');
      const target = await kubelessProvider.proxyTarget(client, echo);
      expect(target).toEqual({ namespace, service: 'echo', port: 8080 });

      const ok = await client.proxy(target.namespace, target.service, target.port, {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ order: 42 })),
      });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body.toString())).toEqual({ received: { order: 42 } });

      // The function's own 4xx is its answer, not a cluster error.
      const failed = await client.proxy(target.namespace, target.service, target.port, {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ missing: 'customerId' })),
      });
      expect(failed.status).toBe(422);
      expect(JSON.parse(failed.body.toString())).toMatchObject({
        error: 'the request has no "customerId" key',
      });
    },
  );

  it('selects pods and the container the way Kubeless labels and names them', () => {
    expect(kubelessProvider.podSelector(shop())).toBe(
      'created-by=kubeless,!job-name,function=shop',
    );
    expect(kubelessProvider.containerName(shop())).toBe('shop');
    expect(kubelessProvider.ownedKinds(kubelessService([shop()])).map((k) => k.kind)).toEqual([
      'Function',
      'HTTPTrigger',
      'CronJobTrigger',
      'KafkaTrigger',
      'NATSTrigger',
    ]);
  });
});
