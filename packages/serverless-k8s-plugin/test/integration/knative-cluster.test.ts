// The Knative provider against the real kube-apiserver with Knative's own CRDs: their structural
// schemas prune unknown fields, so every rendered object is checked to come back unpruned.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import type { ClusterClient, KubeObject } from '../../src/cluster/types.js';
import type { FunctionModel } from '../../src/model/types.js';
import { runtimeBundle } from '../../src/packaging/runtime-bundle.js';
import { CODE_MOUNT_PATH, codeConfigMapNames } from '../../src/providers/knative/delivery.js';
import { knativeProvider } from '../../src/providers/knative/index.js';
import { renderKnative } from '../../src/providers/knative/manifests.js';
import { UserError } from '../../src/util/errors.js';
import { testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { netnsSupport } from '../../../../test/harness/netns.js';
import { failPod, knativeLabels, startFunctionPod } from '../../../../test/harness/pods.js';
import {
  GOLDEN_DIR,
  RUNTIME_STUB,
  artifactFor,
  fnModel,
  serviceModel,
} from '../unit/knative-fixtures.js';
import { createRevision, markReady, servicePath, patchStatus } from './knative-controller.js';

const testNamespace = useTestNamespace('knative');
const netns = await netnsSupport();
/** This file's namespace (the harness creates it, with a default ServiceAccount, before the tests). */
let namespace = '';
const progress = { update: () => undefined };
let client: ConnectedClusterClient;

/** Every field we sent is in what the server returned (it pruned or rewrote nothing). */
function expectUnpruned(sent: unknown, returned: unknown, path = ''): void {
  if (Array.isArray(sent)) {
    expect(Array.isArray(returned), `${path} is an array`).toBe(true);
    expect((returned as unknown[]).length, `${path} length`).toBe(sent.length);
    sent.forEach((item, i) => expectUnpruned(item, (returned as unknown[])[i], `${path}[${i}]`));
  } else if (sent !== null && typeof sent === 'object') {
    expect(returned, `${path} is an object`).toBeTypeOf('object');
    for (const [key, value] of Object.entries(sent)) {
      expectUnpruned(value, (returned as Record<string, unknown>)[key], `${path}.${key}`);
    }
  } else {
    expect(returned, path).toEqual(sent);
  }
}

function inNamespace<T extends KubeObject>(object: T): T {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

/** The real client, except that one kind is asked about under a made-up name the server does not serve. */
function withoutKind(real: ClusterClient, missingKind: string): ClusterClient {
  return Object.assign(Object.create(real) as ClusterClient, {
    hasKind: (apiVersion: string, kind: string) =>
      real.hasKind(apiVersion, kind === missingKind ? `${kind}NotInstalled` : kind),
  });
}

beforeAll(async () => {
  namespace = testNamespace.name;
  client = await connect({ kubeconfigPath: testCluster().kubeconfig });
});

afterAll(() => client?.close());

describe('golden objects against the Knative CRD schemas', () => {
  const goldens = readdirSync(GOLDEN_DIR).filter((file) => file.endsWith('.yaml'));

  it.each(goldens)('%s: server-side dry-run apply keeps every field', async (file) => {
    const objects = yaml
      .loadAll(readFileSync(join(GOLDEN_DIR, file), 'utf8'))
      .map((doc) => inNamespace(doc as KubeObject));
    expect(objects.length).toBeGreaterThan(0);
    const results = await client.apply(objects, { dryRun: true });
    expect(results).toHaveLength(objects.length);
    for (const object of objects) {
      const result = results.find(
        (r) => r.object.kind === object.kind && r.object.metadata.name === object.metadata.name,
      );
      expect(result, `${object.kind} ${object.metadata.name} applied`).toBeDefined();
      expectUnpruned(object, result?.object, `${object.kind}/${object.metadata.name}`);
    }
  });

  it('the real runtime bundle fits in the code ConfigMap and survives the round trip', async () => {
    const fn = fnModel({ namespace });
    const objects = knativeProvider.render(
      serviceModel([fn]),
      new Map([[fn.key, artifactFor(fn)]]),
    );
    const results = await client.apply(objects, { dryRun: true });
    const configMap = results.find((r) => r.object.kind === 'ConfigMap')?.object as
      (KubeObject & { binaryData: Record<string, string> }) | undefined;
    expect(Buffer.from(configMap?.binaryData['runtime.js'] ?? '', 'base64')).toEqual(
      runtimeBundle(),
    );
  });
});

describe('canary 100 → 50/50 → 0/100, applied and read back', () => {
  const model = (fn: FunctionModel) => serviceModel([fn], { namespace });
  const deploy = async (fn: FunctionModel, code: string) => {
    await knativeProvider.preflight(client, model(fn));
    const objects = renderKnative(
      model(fn),
      new Map([[fn.key, artifactFor(fn, code)]]),
      runtimeBundle(),
    );
    await client.apply(objects);
    const service = await client.get('serving.knative.dev/v1', 'Service', namespace, fn.name);
    if (!service) throw new Error('Service not stored');
    return { objects, service };
  };
  const trafficOf = (service: KubeObject) => (service.spec as { traffic?: unknown }).traffic;
  const codeConfigMap = (objects: KubeObject[]) =>
    objects.find((o) => o.kind === 'ConfigMap') as KubeObject;

  const V1_CODE = 'exports.hello = async (event) => ({ version: 1, got: event.data });';
  let v1 = '';
  let v1ConfigMap: KubeObject;
  /** `oldPercent` to the first revision (tag blue), the rest to the latest (tag green). */
  const split = (oldPercent: number) =>
    fnModel({
      namespace,
      traffic: [
        { revision: v1, percent: oldPercent, tag: 'blue' },
        { latestRevision: true, percent: 100 - oldPercent, tag: 'green' },
      ],
    });
  const specTraffic = (oldPercent: number) => [
    { revisionName: v1, percent: oldPercent, tag: 'blue' },
    { latestRevision: true, percent: 100 - oldPercent, tag: 'green' },
  ];

  it('step 1: no traffic key → Knative default; Ready once the controller reports the revision', async () => {
    const fn = fnModel({ namespace });
    const { objects, service } = await deploy(fn, V1_CODE);
    expect(trafficOf(service)).toBeUndefined();
    v1 = await createRevision(client, service);
    v1ConfigMap = codeConfigMap(objects);
    // Before the controller observed the generation, Ready is not trusted.
    const early = await knativeProvider.waitReady(client, model(fn), [fn], {
      timeoutMs: 600,
      progress,
    });
    expect(early[0]).toMatchObject({ ready: false });
    expect(early[0]?.problem).toMatch(
      /^not Ready before the timeout \(waiting for the Knative controller/,
    );

    await markReady(client, service, v1, [
      { revisionName: v1, percent: 100, latestRevision: true },
    ]);
    const [status] = await knativeProvider.waitReady(client, model(fn), [fn], {
      timeoutMs: 5_000,
      progress,
    });
    expect(status).toMatchObject({ name: 'hello', namespace, ready: true });
    const target = await knativeProvider.proxyTarget(client, fn);
    // The route from the Service's status is tried first; the private service is the fallback.
    expect(target).toEqual({
      namespace,
      service: `${v1}-private`,
      port: 80,
      routeUrl: `http://hello.${namespace}.example.com`,
    });
  });

  it.skipIf(!netns.ok)(
    "invoke goes through the API server proxy into the revision's pod",
    async () => {
      const fn = fnModel({ namespace });
      const target = await knativeProvider.proxyTarget(client, fn);
      const service = (await client.get(
        'serving.knative.dev/v1',
        'Service',
        namespace,
        'hello',
      )) as KubeObject;
      // The revision's pod runs the container command on the ConfigMap as stored in the cluster.
      const stored = (await client.get('v1', 'ConfigMap', namespace, v1ConfigMap.metadata.name)) as
        (KubeObject & { binaryData: Record<string, string> }) | undefined;
      const mountDir = mkdtempSync(join(tmpdir(), 'sk8s-knative-code-'));
      for (const [key, value] of Object.entries(stored?.binaryData ?? {})) {
        writeFileSync(join(mountDir, key), Buffer.from(value, 'base64'));
      }
      const container = (
        service.spec as { template: { spec: { containers: { command: string[] }[] } } }
      ).template.spec.containers[0];
      const command = (container?.command ?? []).map((part) =>
        part === 'node' ? process.execPath : part.replace(CODE_MOUNT_PATH, mountDir),
      );
      await startFunctionPod({
        namespace,
        name: `${v1}-deployment`,
        labels: knativeLabels('hello', v1),
        serviceName: target.service,
        servicePort: 80,
        servicePortName: 'http',
        port: 8080,
        moduleFile: join(mountDir, 'hello.js'),
        handler: 'hello',
        containerName: 'user-container',
        command,
      });
      const response = await client.proxy(target.namespace, target.service, target.port, {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ n: 7 })),
      });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString('utf8'))).toEqual({ version: 1, got: { n: 7 } });
      rmSync(mountDir, { recursive: true, force: true });
    },
  );

  it('step 2: new code, 50/50 between the old revision and the latest, with tags', async () => {
    const fn = split(50);
    const { objects, service } = await deploy(fn, 'exports.hello = () => "v2";');
    expect(trafficOf(service)).toEqual(specTraffic(50));
    const v2 = await createRevision(client, service);
    expect(v2).not.toBe(v1);
    expect(codeConfigMap(objects).metadata.name).not.toBe(v1ConfigMap.metadata.name);
    await markReady(client, service, v2, [
      { revisionName: v1, percent: 50, tag: 'blue' },
      { revisionName: v2, percent: 50, tag: 'green', latestRevision: true },
    ]);

    const info = await knativeProvider.describe(client, model(fn), fn);
    expect(info).toMatchObject({ ready: true, latestCreatedRevision: v2, latestReadyRevision: v2 });
    expect(info.traffic).toEqual([
      { revision: v1, percent: 50, tag: 'blue', url: `http://blue-hello.${namespace}.example.com` },
      {
        revision: v2,
        percent: 50,
        tag: 'green',
        url: `http://green-hello.${namespace}.example.com`,
        latest: true,
      },
    ]);

    // The v1 revision still serves half the traffic: prune must keep its code.
    const stored = await client.get('serving.knative.dev/v1', 'Revision', namespace, v1);
    expect(codeConfigMapNames(stored?.spec as Record<string, unknown>)).toEqual([
      v1ConfigMap.metadata.name,
    ]);
    const kept = await knativeProvider.retainOnPrune?.(client, model(fn), [
      inNamespace(v1ConfigMap),
    ]);
    expect(kept?.map((o) => o.metadata.name)).toEqual([v1ConfigMap.metadata.name]);
    // A function removed from serverless.yml loses its Service in the same prune: nothing is kept.
    const removedToo = await knativeProvider.retainOnPrune?.(client, model(fn), [
      inNamespace(v1ConfigMap),
      { ...service, apiVersion: 'serving.knative.dev/v1', kind: 'Service' },
    ]);
    expect(removedToo).toEqual([]);
  });

  it('step 3: 0/100, then dropping the old revision lets prune delete its code', async () => {
    const fn = split(0);
    const { service } = await deploy(fn, 'exports.hello = () => "v2";');
    expect(trafficOf(service)).toEqual(specTraffic(0));
    const v2 = (service.spec as { template: { metadata: { name: string } } }).template.metadata
      .name;
    const kept = await knativeProvider.retainOnPrune?.(client, model(fn), [
      inNamespace(v1ConfigMap),
    ]);
    expect(kept).toHaveLength(1);

    const final = fnModel({ namespace });
    const after = await deploy(final, 'exports.hello = () => "v2";');
    expect(trafficOf(after.service)).toBeUndefined();
    expect(
      (after.service.spec as { template: { metadata: { name: string } } }).template.metadata.name,
    ).toBe(v2);
    await markReady(client, after.service, v2, [
      { revisionName: v2, percent: 100, latestRevision: true },
    ]);
    await expect(
      knativeProvider.retainOnPrune?.(client, model(final), [inNamespace(v1ConfigMap)]),
    ).resolves.toEqual([]);
  });

  it('a traffic entry naming a revision that does not exist lists the existing ones', async () => {
    const fn = fnModel({
      namespace,
      traffic: [
        { revision: 'hello-0badc0de', percent: 10 },
        { latestRevision: true, percent: 90 },
      ],
    });
    const run = knativeProvider.preflight(client, model(fn));
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(knativeProvider.preflight(client, model(fn))).rejects.toThrow(
      new RegExp(
        `revision "hello-0badc0de" not found in namespace ${namespace} .*existing revisions: (${v1}, \\S+|\\S+, ${v1})\\)`,
      ),
    );
  });
});

describe('failures reported by waitReady', () => {
  const deployed = async (name: string) => {
    const fn = fnModel({ namespace, key: name, name });
    const model = serviceModel([fn], { namespace });
    await client.apply(renderKnative(model, new Map([[fn.key, artifactFor(fn)]]), RUNTIME_STUB));
    const service = await client.get('serving.knative.dev/v1', 'Service', namespace, name);
    if (!service) throw new Error(`Service ${name} not stored`);
    return { fn, model, service, revision: await createRevision(client, service) };
  };

  it('Ready False: the reason, the message and what the failing pod says', async () => {
    const { fn, model, service, revision } = await deployed('broken');
    await patchStatus(servicePath(namespace, 'broken'), {
      observedGeneration: service.metadata.generation,
      latestCreatedRevisionName: revision,
      conditions: [
        {
          type: 'ConfigurationsReady',
          status: 'False',
          reason: 'RevisionFailed',
          message: `Revision "${revision}" failed with message: Container failed with: Error: Cannot find module '/var/run/sk8s/broken.js'.`,
        },
        { type: 'Ready', status: 'False', reason: 'RevisionFailed' },
      ],
    });
    const { podName: pod } = await failPod({
      namespace,
      name: `${revision}-deployment`,
      labels: knativeLabels('broken', revision),
      reason: 'CrashLoopBackOff',
      message: "Error: Cannot find module '/var/run/sk8s/broken.js'",
      containerName: 'user-container',
    });

    const [status] = await knativeProvider.waitReady(client, model, [fn], {
      timeoutMs: 10_000,
      progress,
    });
    expect(status?.ready).toBe(false);
    expect(status?.problem).toContain(
      `RevisionFailed: Revision "${revision}" failed with message: Container failed with: Error: Cannot find module`,
    );
    expect(status?.problem).toMatch(new RegExp(`pod ${pod}: CrashLoopBackOff .*exit code 1`));
    await expect(knativeProvider.proxyTarget(client, fn)).rejects.toThrow(
      /has no ready revision to invoke \(RevisionFailed/,
    );
  });

  it('a crash-looping revision fails fast, before Knative reports anything', async () => {
    const { fn, model, revision } = await deployed('crashy');
    const { podName: pod } = await failPod({
      namespace,
      name: `${revision}-deployment`,
      labels: knativeLabels('crashy', revision),
      reason: 'CrashLoopBackOff',
      message: 'TypeError: handler is not a function',
      containerName: 'user-container',
    });
    const started = Date.now();
    const [status] = await knativeProvider.waitReady(client, model, [fn], {
      timeoutMs: 30_000,
      progress,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(status?.ready).toBe(false);
    expect(status?.problem).toMatch(
      new RegExp(`^CrashLoopBackOff \\(revision ${revision}\\)\npod ${pod}: CrashLoopBackOff`),
    );
  });
});

describe('preflight against the installed CRDs', () => {
  const withEvents = fnModel({
    namespace,
    events: [
      { kind: 'schedule', name: 'tick', cron: '*/5 * * * *' },
      { kind: 'cloudEvent', name: 'orders', broker: 'default', filter: { type: 'order.created' } },
    ],
  });

  it('passes when Serving and the Eventing kinds used are served', async () => {
    await expect(
      knativeProvider.preflight(
        client,
        serviceModel([withEvents], { namespace, createBroker: true }),
      ),
    ).resolves.toBeUndefined();
  });

  it('names the missing Eventing CRD and the event that needs it', async () => {
    await expect(
      knativeProvider.preflight(
        withoutKind(client, 'PingSource'),
        serviceModel([withEvents], { namespace }),
      ),
    ).rejects.toThrow(
      /lacks a CRD this service uses:\n {2}pingsources\.sources\.knative\.dev \(sources\.knative\.dev\/v1 PingSource\), needed by functions\.hello event tick \(schedule\)\nInstall Knative Eventing/,
    );
  });

  it('a service without events needs no Eventing', async () => {
    await expect(
      knativeProvider.preflight(
        withoutKind(withoutKind(client, 'PingSource'), 'Trigger'),
        serviceModel([fnModel({ namespace })], { namespace }),
      ),
    ).resolves.toBeUndefined();
  });

  it('says when Knative Serving is not installed', async () => {
    await expect(
      knativeProvider.preflight(
        withoutKind(client, 'Service'),
        serviceModel([fnModel({ namespace })], { namespace }),
      ),
    ).rejects.toThrow(
      /^Knative Serving is not installed on .*services\.serving\.knative\.dev \(serving\.knative\.dev\/v1\)/,
    );
  });
});
