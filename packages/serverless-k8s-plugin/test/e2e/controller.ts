// The e2e tests play the platform controllers: they read what `serverless deploy` applied, take the
// function's code out of it exactly as the cluster would receive it (the Kubeless Function's
// base64 zip, the Knative code ConfigMap) and run it with the harness pod helper in a network
// namespace, so `invoke` reaches a real runtime process through the API server's proxy.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { adminApi, waitFor, type KubeObjectJson } from '../../../../test/harness/cluster.js';
import {
  knativeLabels,
  kubelessLabels,
  startFunctionPod,
  type FunctionPod,
} from '../../../../test/harness/pods.js';

/** The files of a zip archive (stored or deflated entries, read through the central directory). */
export function readZip(zip: Buffer): Record<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const skip = nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith('/')) files[name] = method === 8 ? inflateRawSync(data) : Buffer.from(data);
    offset += 46 + skip;
  }
  return files;
}

const codeDirs: string[] = [];

/** Deletes the directories the code was unpacked into (after the pods are stopped). */
export async function removeUnpackedCode(): Promise<void> {
  await Promise.all(codeDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

async function writeFiles(files: Record<string, Buffer>, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  codeDirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** Waits until `deploy` has applied the object (the CLI runs concurrently with the test). */
export function waitForObject(apiPath: string, timeoutMs = 60_000): Promise<KubeObjectJson> {
  return waitFor(
    `${apiPath} to be applied`,
    async () => {
      const response = await adminApi().request('GET', apiPath);
      return response.status === 200 ? response.body : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export const kubelessFunctionPath = (namespace: string, name: string): string =>
  `/apis/kubeless.io/v1beta1/namespaces/${namespace}/functions/${name}`;

/** The Kubeless Function's code and handler, unpacked as the Kubeless runtime image would. */
export async function kubelessCode(
  fn: KubeObjectJson,
): Promise<{ dir: string; moduleFile: string; handler: string }> {
  const spec = fn.spec as { function: string; handler: string; 'function-content-type': string };
  if (spec['function-content-type'] !== 'base64+zip') {
    throw new Error(`unexpected function-content-type ${spec['function-content-type']}`);
  }
  const dir = await writeFiles(readZip(Buffer.from(spec.function, 'base64')), 'sk8s-e2e-code-');
  const [moduleName, handler] = spec.handler.split('.') as [string, string];
  return { dir, moduleFile: path.join(dir, `${moduleName}.js`), handler };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

/** A container's environment as the kubelet resolves it: plain values and Secret/ConfigMap keys. */
export async function resolveEnv(
  namespace: string,
  env: EnvVar[] = [],
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const { name, value, valueFrom } of env) {
    const secret = valueFrom?.secretKeyRef;
    const configMap = valueFrom?.configMapKeyRef;
    if (secret) {
      const object = await adminApi().expect(
        'GET',
        `/api/v1/namespaces/${namespace}/secrets/${secret.name}`,
      );
      const data = (object.data ?? {}) as Record<string, string>;
      resolved[name] = Buffer.from(data[secret.key] ?? '', 'base64').toString('utf8');
    } else if (configMap) {
      const object = await adminApi().expect(
        'GET',
        `/api/v1/namespaces/${namespace}/configmaps/${configMap.name}`,
      );
      resolved[name] = ((object.data ?? {}) as Record<string, string>)[configMap.key] ?? '';
    } else {
      resolved[name] = value ?? '';
    }
  }
  return resolved;
}

/** Plays the Kubeless controller and kubelet for one function: its pod serves behind its Service. */
export async function serveKubelessFunction(namespace: string, name: string): Promise<FunctionPod> {
  const fn = await waitForObject(kubelessFunctionPath(namespace, name));
  const { moduleFile, handler } = await kubelessCode(fn);
  const deployment = (
    fn.spec as {
      deployment?: { spec?: { template?: { spec?: { containers?: { env?: EnvVar[] }[] } } } };
    }
  ).deployment;
  return startFunctionPod({
    env: await resolveEnv(namespace, deployment?.spec?.template?.spec?.containers?.[0]?.env),
    namespace,
    name,
    labels: kubelessLabels(name),
    serviceName: name,
    servicePort: 8080,
    servicePortName: 'http-function-port',
    port: 8080,
    moduleFile,
    handler,
    containerName: name,
  });
}

export const knativeServicePath = (namespace: string, name: string): string =>
  `/apis/serving.knative.dev/v1/namespaces/${namespace}/services/${name}`;

interface KnativeTemplate {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    containers: { command: string[]; ports?: { containerPort: number }[]; env?: EnvVar[] }[];
    volumes?: { name: string; configMap?: { name: string } }[];
  };
}

const CODE_MOUNT = '/var/run/sk8s';

/**
 * Plays Knative Serving and the kubelet for the Service's current template: creates its Revision,
 * runs the container's command on the code ConfigMap's files in a pod behind `<revision>-private`
 * (where `invoke` goes). markKnativeReady / markKnativeFailed then write the Service status.
 */
export async function serveKnativeService(
  namespace: string,
  name: string,
): Promise<{ pod: FunctionPod; revision: string }> {
  const service = await waitForObject(knativeServicePath(namespace, name));
  const template = (service.spec as { template: KnativeTemplate }).template;
  const revision = template.metadata.name;
  const container = template.spec.containers[0];
  const codeVolume = template.spec.volumes?.find((volume) => volume.configMap);
  if (!container || !codeVolume?.configMap) throw new Error(`${name}: no container or code volume`);
  const configMap = await waitForObject(
    `/api/v1/namespaces/${namespace}/configmaps/${codeVolume.configMap.name}`,
  );
  const files = Object.fromEntries(
    Object.entries((configMap.binaryData ?? {}) as Record<string, string>).map(([file, data]) => [
      file,
      Buffer.from(data, 'base64'),
    ]),
  );
  const dir = await writeFiles(files, 'sk8s-e2e-kncode-');
  const port = container.ports?.[0]?.containerPort ?? 8080;
  // The container's own command, with the ConfigMap mount mapped to the unpacked files.
  const command = container.command.map((arg) =>
    arg === 'node' ? process.execPath : arg.replace(CODE_MOUNT, dir),
  );
  const handlerIndex = command.indexOf('--handler');
  await adminApi().expect(
    'POST',
    `/apis/serving.knative.dev/v1/namespaces/${namespace}/revisions`,
    {
      body: {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Revision',
        metadata: {
          name: revision,
          labels: { ...template.metadata.labels, ...knativeLabels(name, revision) },
        },
        spec: template.spec,
      },
    },
  );
  const pod = await startFunctionPod({
    namespace,
    name: `${revision}-deployment`,
    labels: knativeLabels(name, revision),
    serviceName: `${revision}-private`,
    servicePort: 80,
    servicePortName: 'http',
    port,
    moduleFile: command[2] ?? '',
    handler: command[handlerIndex + 1] ?? '',
    containerName: 'user-container',
    command: [...command, '--port', String(port)],
    // What the queue-proxy's pod spec gives every user container, besides the container's own env.
    env: {
      ...(await resolveEnv(namespace, container.env)),
      K_SERVICE: name,
      K_CONFIGURATION: name,
      K_REVISION: revision,
    },
  });
  return { pod, revision };
}

async function patchStatus(apiPath: string, status: Record<string, unknown>): Promise<void> {
  await adminApi().expect('PATCH', `${apiPath}/status`, {
    body: { status },
    contentType: 'application/merge-patch+json',
  });
}

interface TrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
}

/** What the Route serves for spec.traffic (default: all to the latest): named revisions, tag URLs. */
function routeTraffic(service: KubeObjectJson, latest: string, namespace: string): TrafficTarget[] {
  const name = service.metadata?.name ?? '';
  const spec = (service.spec as { traffic?: TrafficTarget[] }).traffic ?? [
    { latestRevision: true, percent: 100 },
  ];
  return spec.map((target) => ({
    ...target,
    revisionName: target.latestRevision ? latest : target.revisionName,
    ...(target.tag ? { url: `http://${target.tag}-${name}.${namespace}.example.com` } : {}),
  }));
}

/** What the Knative controller writes when the revision is serving: Ready with a URL and traffic. */
export async function markKnativeReady(
  namespace: string,
  name: string,
  revision: string,
): Promise<string> {
  const path = knativeServicePath(namespace, name);
  const service = await waitForObject(path);
  const url = `http://${name}.${namespace}.example.com`;
  const now = new Date().toISOString();
  await patchStatus(`/apis/serving.knative.dev/v1/namespaces/${namespace}/revisions/${revision}`, {
    observedGeneration: 1,
    actualReplicas: 1,
    desiredReplicas: 1,
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
  });
  await patchStatus(path, {
    observedGeneration: service.metadata?.generation,
    url,
    address: { url: `http://${name}.${namespace}.svc.cluster.local` },
    latestCreatedRevisionName: revision,
    latestReadyRevisionName: revision,
    traffic: routeTraffic(service, revision, namespace),
    conditions: ['ConfigurationsReady', 'RoutesReady', 'Ready'].map((type) => ({
      type,
      status: 'True',
      lastTransitionTime: now,
    })),
  });
  return url;
}

/** What the Knative controller writes when the new revision cannot start. */
export async function markKnativeFailed(
  namespace: string,
  name: string,
  reason: string,
  message: string,
): Promise<void> {
  const path = knativeServicePath(namespace, name);
  const service = await waitForObject(path);
  const revision = (service.spec as { template: KnativeTemplate }).template.metadata.name;
  const now = new Date().toISOString();
  await patchStatus(path, {
    observedGeneration: service.metadata?.generation,
    latestCreatedRevisionName: revision,
    conditions: [
      { type: 'ConfigurationsReady', status: 'False', reason, message, lastTransitionTime: now },
      { type: 'Ready', status: 'False', reason, message, lastTransitionTime: now },
    ],
  });
}
