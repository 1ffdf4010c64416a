// Proves the test cluster is a real API server with the project's CRDs: CRUD of Kubeless and Knative
// objects, server-side apply conflicts, RBAC denial, dry runs, and the service proxy into a process that
// runs in a network namespace.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adminApi, testCluster, unprivilegedApi, type KubeObjectJson } from '../harness/cluster.js';
import { useTestNamespace } from '../harness/namespaces.js';
import { netnsSupport } from '../harness/netns.js';
import {
  failPod,
  kubelessLabels,
  knativeLabels,
  runtimeCli,
  startFunctionPod,
} from '../harness/pods.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '..', 'harness', 'fixtures');

const ns = useTestNamespace('harness');
// The upstream Knative CRDs (packages/test-cluster/manifests/crds) carry a structural schema.
const knativeCrd = await adminApi().expect<{ spec: { versions: { schema?: unknown }[] } }>(
  'GET',
  '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/services.serving.knative.dev',
);
const knativeSchema = knativeCrd.spec.versions.some((v) => v.schema !== undefined);
const netns = await netnsSupport();
if (!netns.ok) console.warn(`[harness.test] skipping the network namespace tests: ${netns.reason}`);
if (!existsSync(runtimeCli))
  console.warn(`[harness.test] skipping the runtime test: ${runtimeCli} is not built`);

const functions = (): string => `/apis/kubeless.io/v1beta1/namespaces/${ns.name}/functions`;
const kservices = (): string => `/apis/serving.knative.dev/v1/namespaces/${ns.name}/services`;

function kubelessFunction(name: string): KubeObjectJson {
  return {
    apiVersion: 'kubeless.io/v1beta1',
    kind: 'Function',
    metadata: { name, labels: { 'created-by': 'kubeless', function: name } },
    spec: {
      runtime: 'nodejs14',
      handler: 'handler.hello',
      function: 'module.exports = { hello: () => "hi" }',
      'function-content-type': 'text',
      deps: '',
      timeout: '180',
    },
  };
}

function knativeService(name: string, image: string): KubeObjectJson {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      template: {
        spec: { containers: [{ image, env: [{ name: 'FUNC_HANDLER', value: 'hello' }] }] },
      },
    },
  };
}

describe('global setup', () => {
  it('points code under test at the cluster through KUBECONFIG, with the CRDs and kubeless-config in place', async () => {
    expect(process.env.KUBECONFIG).toBe(testCluster().kubeconfig);
    expect(process.env.SK8S_TEST_KUBECONFIG).toBe(testCluster().kubeconfig);
    const api = adminApi();
    const crds = await api.expect('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    const names = crds.items?.map((crd) => crd.metadata?.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining([
        'functions.kubeless.io',
        'httptriggers.kubeless.io',
        'cronjobtriggers.kubeless.io',
        'services.serving.knative.dev',
        'revisions.serving.knative.dev',
        'brokers.eventing.knative.dev',
        'triggers.eventing.knative.dev',
        'pingsources.sources.knative.dev',
      ]),
    );
    const config = await api.expect(
      'GET',
      '/api/v1/namespaces/kubeless/configmaps/kubeless-config',
    );
    expect(JSON.parse(config.data?.['runtime-images'] ?? '[]')).toEqual(
      expect.arrayContaining([expect.objectContaining({ ID: 'nodejs' })]),
    );
    expect(
      (await api.request('GET', `/api/v1/namespaces/${ns.name}/serviceaccounts/default`)).status,
    ).toBe(200);
  });
});

describe('Kubeless Function', () => {
  it('is created, read, patched and deleted', async () => {
    const api = adminApi();
    const created = await api.request('POST', functions(), { body: kubelessFunction('greeter') });
    expect(created.status).toBe(201);
    expect(created.body?.metadata?.uid).toMatch(/[0-9a-f-]{36}/);

    const read = await api.expect('GET', `${functions()}/greeter`);
    expect(read.spec?.handler).toBe('handler.hello');
    expect(read.metadata?.labels).toEqual({ 'created-by': 'kubeless', function: 'greeter' });

    const patched = await api.expect('PATCH', `${functions()}/greeter`, {
      body: { spec: { handler: 'handler.goodbye' } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.spec?.handler).toBe('handler.goodbye');
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(
      Number(read.metadata?.resourceVersion),
    );
    expect((await api.expect('GET', `${functions()}/greeter`)).spec?.runtime).toBe('nodejs14');

    expect((await api.request('DELETE', `${functions()}/greeter`)).status).toBe(200);
    expect((await api.request('GET', `${functions()}/greeter`)).status).toBe(404);
  });

  it('is refused a second time under the same name (409 AlreadyExists)', async () => {
    const api = adminApi();
    await api.expect('POST', functions(), { body: kubelessFunction('twice') });
    const again = await api.request('POST', functions(), { body: kubelessFunction('twice') });
    expect(again.status).toBe(409);
    expect(again.body?.reason).toBe('AlreadyExists');
  });
});

describe('Knative Service', () => {
  it('is created, read, patched and deleted', async () => {
    const api = adminApi();
    const created = await api.request('POST', kservices(), {
      body: knativeService('hello', 'registry.local/hello:1'),
    });
    expect(created.status).toBe(201);

    const read = await api.expect<{
      spec: { template: { spec: { containers: { image: string }[] } } };
    }>('GET', `${kservices()}/hello`);
    expect(read.spec.template.spec.containers[0]?.image).toBe('registry.local/hello:1');

    const patched = await api.expect<{
      spec: { template: { spec: { containers: { image: string }[] } } };
    }>('PATCH', `${kservices()}/hello`, {
      body: { spec: { template: { spec: { containers: [{ image: 'registry.local/hello:2' }] } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.spec.template.spec.containers[0]?.image).toBe('registry.local/hello:2');

    // The status subresource is separate from the main resource, as Knative's controller relies on.
    await api.expect('PATCH', `${kservices()}/hello/status`, {
      body: {
        status: {
          url: 'http://hello.example.com',
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
      contentType: 'application/merge-patch+json',
    });
    expect((await api.expect('GET', `${kservices()}/hello`)).status?.url).toBe(
      'http://hello.example.com',
    );

    expect((await api.request('DELETE', `${kservices()}/hello`)).status).toBe(200);
    expect((await api.request('GET', `${kservices()}/hello`)).status).toBe(404);
  });

  it.skipIf(!knativeSchema)(
    'is validated against the upstream schema (422 names the field)',
    async () => {
      const invalid = knativeService('bad', 'registry.local/bad:1');
      (
        invalid.spec as { template: { spec: { containerConcurrency: unknown } } }
      ).template.spec.containerConcurrency = 'lots';
      const resp = await adminApi().request('POST', kservices(), { body: invalid });
      expect(resp.status).toBe(422);
      expect(resp.text).toContain('spec.template.spec.containerConcurrency');
    },
  );
});

describe('server-side apply', () => {
  const apply = (manager: string, image: string, force = false) =>
    adminApi().request('PATCH', `${kservices()}/applied`, {
      body: knativeService('applied', image),
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: manager, ...(force ? { force: 'true' } : {}) },
    });

  it('records the field manager, reports a conflict with another manager, and lets it force', async () => {
    const first = await apply('serverless-k8s', 'registry.local/app:1');
    expect(first.status).toBe(201);
    const managers = first.body?.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('serverless-k8s/Apply');

    // Re-applying the same intent under the same manager is a no-op success.
    expect((await apply('serverless-k8s', 'registry.local/app:1')).status).toBe(200);

    const conflict = await apply('someone-else', 'registry.local/app:2');
    expect(conflict.status).toBe(409);
    expect(conflict.body?.reason).toBe('Conflict');
    expect(conflict.body?.message).toContain('conflict with "serverless-k8s"');
    const unchanged = await adminApi().expect('GET', `${kservices()}/applied`);
    expect(JSON.stringify(unchanged.spec)).toContain('registry.local/app:1');

    const forced = await apply('someone-else', 'registry.local/app:2', true);
    expect(forced.status).toBe(200);
    expect(JSON.stringify(forced.body?.spec)).toContain('registry.local/app:2');
  });
});

describe('RBAC', () => {
  it('denies the unprivileged user with 403 Forbidden, naming the user and resource', async () => {
    const api = unprivilegedApi();
    expect(api, 'the harness writes an unprivileged kubeconfig').toBeDefined();
    const list = await api!.request('GET', functions());
    expect(list.status).toBe(403);
    expect(list.body?.reason).toBe('Forbidden');
    expect(list.body?.message).toContain(
      'User "sk8s-unprivileged" cannot list resource "functions"',
    );

    const create = await api!.request('POST', kservices(), {
      body: knativeService('denied', 'registry.local/x:1'),
    });
    expect(create.status).toBe(403);
    expect((await adminApi().request('GET', `${kservices()}/denied`)).status).toBe(404);
  });
});

describe('dryRun=All', () => {
  it('answers as a create would and stores nothing', async () => {
    const api = adminApi();
    const dry = await api.request('POST', functions(), {
      body: kubelessFunction('dry'),
      query: { dryRun: 'All' },
    });
    expect(dry.status).toBe(201);
    expect(dry.body?.metadata?.name).toBe('dry');
    expect((await api.request('GET', `${functions()}/dry`)).status).toBe(404);

    await api.expect('POST', functions(), { body: kubelessFunction('kept') });
    const dryDelete = await api.request('DELETE', `${functions()}/kept`, {
      query: { dryRun: 'All' },
    });
    expect(dryDelete.status).toBe(200);
    expect((await api.request('GET', `${functions()}/kept`)).status).toBe(200);
  });
});

describe('pod helper', () => {
  it.skipIf(!netns.ok)(
    'serves a process in a network namespace through the apiserver service proxy',
    async () => {
      const api = adminApi();
      const pod = await startFunctionPod({
        namespace: ns.name,
        name: 'echo',
        labels: kubelessLabels('echo'),
        serviceName: 'echo',
        servicePort: 8080,
        port: 8080,
        moduleFile: resolve(fixtures, 'echo-server.mjs'),
        handler: 'unused',
        command: [process.execPath, resolve(fixtures, 'echo-server.mjs')],
      });

      const podObject = await api.expect(
        'GET',
        `/api/v1/namespaces/${ns.name}/pods/${pod.podName}`,
      );
      expect(podObject.status).toMatchObject({ phase: 'Running', podIP: pod.podIp });
      expect(podObject.metadata?.labels).toEqual({ 'created-by': 'kubeless', function: 'echo' });
      const endpoints = await api.expect<{
        subsets: { addresses: { ip: string; targetRef: { name: string } }[] }[];
      }>('GET', `/api/v1/namespaces/${ns.name}/endpoints/echo`);
      expect(endpoints.subsets[0]?.addresses[0]).toMatchObject({
        ip: pod.podIp,
        targetRef: { name: pod.podName },
      });

      const proxied = await api.request<{
        pid: number;
        method: string;
        url: string;
        remoteAddress: string;
        body: string;
      }>(
        'POST',
        `/api/v1/namespaces/${ns.name}/services/echo:http-function-port/proxy/some/path?x=1`,
        { body: 'ping', contentType: 'text/plain' },
      );
      expect(proxied.status).toBe(200);
      expect(proxied.body).toMatchObject({ method: 'POST', url: '/some/path?x=1', body: 'ping' });
      // The apiserver reached the process over the veth pair, from the host side of the /30.
      expect(proxied.body?.remoteAddress).toBe(pod.netns.hostIp);
      expect(proxied.body?.pid).toBe(pod.process.pid);

      await pod.stop();
      expect(
        (await api.request('GET', `/api/v1/namespaces/${ns.name}/pods/${pod.podName}`)).status,
      ).toBe(404);
      expect(
        (await api.request('GET', `/api/v1/namespaces/${ns.name}/endpoints/echo`)).status,
      ).toBe(404);
      expect((await api.request('GET', `/api/v1/namespaces/${ns.name}/services/echo`)).status).toBe(
        404,
      );
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(
        pod.netns.name,
      );
      expect(pod.process.exitCode !== null || pod.process.signalCode !== null).toBe(true);
    },
  );

  it.skipIf(!netns.ok)('keeps one Endpoints address per pod behind a shared Service', async () => {
    const api = adminApi();
    const echoServer = resolve(fixtures, 'echo-server.mjs');
    const start = () =>
      startFunctionPod({
        namespace: ns.name,
        name: 'pair',
        labels: kubelessLabels('pair'),
        serviceName: 'pair',
        port: 8080,
        moduleFile: echoServer,
        handler: 'unused',
        command: [process.execPath, echoServer],
      });
    const [first, second] = await Promise.all([start(), start()]);
    const endpointsPath = `/api/v1/namespaces/${ns.name}/endpoints/pair`;
    type Endpoints = { subsets: { addresses: { ip: string }[] }[] };
    const both = await api.expect<Endpoints>('GET', endpointsPath);
    expect(both.subsets[0]?.addresses.map((a) => a.ip).sort()).toEqual(
      [first.podIp, second.podIp].sort(),
    );

    await first.stop();
    const one = await api.expect<Endpoints>('GET', endpointsPath);
    expect(one.subsets[0]?.addresses.map((a) => a.ip)).toEqual([second.podIp]);
    const proxied = await api.request<{ pid: number }>(
      'GET',
      `/api/v1/namespaces/${ns.name}/services/pair:http-function-port/proxy/`,
    );
    expect(proxied.status).toBe(200);
    expect(proxied.body?.pid).toBe(second.process.pid);

    await second.stop();
    expect((await api.request('GET', `/api/v1/namespaces/${ns.name}/services/pair`)).status).toBe(
      404,
    );
  });

  it.skipIf(!netns.ok || !existsSync(runtimeCli))(
    'runs a handler with @serverless-k8s/runtime behind a Knative revision, reachable through the proxy',
    async () => {
      const pod = await startFunctionPod({
        namespace: ns.name,
        name: 'hello-00001-deployment',
        labels: knativeLabels('hello', 'hello-00001'),
        containerName: 'user-container',
        serviceName: 'hello-00001-private',
        servicePortName: 'http',
        servicePort: 80,
        port: 8080,
        moduleFile: resolve(fixtures, 'hello-handler.mjs'),
        handler: 'hello',
      });
      const resp = await adminApi().request(
        'POST',
        `/api/v1/namespaces/${ns.name}/services/hello-00001-private:http/proxy/`,
        { body: { name: 'k8s' } },
      );
      expect(resp.status, pod.output()).toBe(200);
      expect(resp.body).toEqual({ greeting: 'hello from hello', received: { name: 'k8s' } });
    },
  );

  it('writes a CrashLoopBackOff pod as a kubelet reports it', async () => {
    const failed = await failPod({
      namespace: ns.name,
      name: 'crasher',
      labels: kubelessLabels('crasher'),
      reason: 'CrashLoopBackOff',
      message: 'Error: Cannot find module "/kubeless/handler"',
      exitCode: 1,
      restartCount: 4,
    });
    const pod = await adminApi().expect<{
      status: { phase: string; containerStatuses: Record<string, unknown>[] };
    }>('GET', `/api/v1/namespaces/${ns.name}/pods/${failed.podName}`);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses[0]).toMatchObject({
      name: 'crasher',
      ready: false,
      restartCount: 4,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: {
        terminated: { exitCode: 1, message: 'Error: Cannot find module "/kubeless/handler"' },
      },
    });
    const events = await adminApi().expect('GET', `/api/v1/namespaces/${ns.name}/events`, {
      query: { fieldSelector: `involvedObject.name=${failed.podName}` },
    });
    expect(events.items?.map((e) => e.reason)).toEqual(['BackOff']);
    await failed.delete();
    expect(
      (await adminApi().request('GET', `/api/v1/namespaces/${ns.name}/pods/${failed.podName}`))
        .status,
    ).toBe(404);
  });

  it('writes an ImagePullBackOff pod as a kubelet reports it', async () => {
    const failed = await failPod({
      namespace: ns.name,
      name: 'puller',
      labels: knativeLabels('puller', 'puller-00001'),
      containerName: 'user-container',
      image: 'registry.local/missing:1',
      reason: 'ImagePullBackOff',
      message: 'rpc error: code = NotFound desc = manifest unknown',
    });
    const pod = await adminApi().expect<{
      status: { phase: string; containerStatuses: Record<string, unknown>[] };
    }>('GET', `/api/v1/namespaces/${ns.name}/pods/${failed.podName}`);
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses[0]).toMatchObject({
      name: 'user-container',
      image: 'registry.local/missing:1',
      state: {
        waiting: {
          reason: 'ImagePullBackOff',
          message: 'rpc error: code = NotFound desc = manifest unknown',
        },
      },
    });
  });
});
