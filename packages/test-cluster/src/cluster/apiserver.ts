// etcd + kube-apiserver v1.20.2 on loopback, token authentication and RBAC, then the CRDs
// (Kubeless 1.0.x, Knative Serving v1.4, Knative Eventing v1.22 and KafkaSource, unmodified) and a
// stock Kubeless 1.0.8 kubeless-config from ../manifests.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import yaml from 'js-yaml';
import { KubeApi } from '../kube-api.js';
import { binaries, manifestsDir, type ClusterInfo, type StateLayout } from './layout.js';
import { isRunning, startDetached, type ManagedProcess } from './processes.js';

export class ClusterError extends Error {}

const FIELD_MANAGER = 'sk8s-test-cluster';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof ClusterError) throw err; // fatal (a process died), unlike a refused connection
      last = err as Error;
    }
    await sleep(150);
  }
  throw new ClusterError(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`,
  );
}

export function assertAlive(...processes: ManagedProcess[]): void {
  for (const proc of processes) {
    if (!isRunning(proc))
      throw new ClusterError(`${proc.name} exited during start-up (log: ${proc.logFile})`);
  }
}

export function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'sk8s-test',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [
      { name: `sk8s-test-${user}`, context: { cluster: 'sk8s-test', user, namespace: 'default' } },
    ],
    'current-context': `sk8s-test-${user}`,
  });
}

interface ManifestDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

function resourcePath(doc: ManifestDoc, source: string): string {
  const name = encodeURIComponent(doc.metadata.name);
  const ns = encodeURIComponent(doc.metadata.namespace ?? 'default');
  switch (`${doc.apiVersion}/${doc.kind}`) {
    case 'apiextensions.k8s.io/v1/CustomResourceDefinition':
    case 'apiextensions.k8s.io/v1beta1/CustomResourceDefinition':
      return `/apis/${doc.apiVersion}/customresourcedefinitions/${name}`;
    case 'v1/Namespace':
      return `/api/v1/namespaces/${name}`;
    case 'v1/ConfigMap':
      return `/api/v1/namespaces/${ns}/configmaps/${name}`;
    case 'v1/ServiceAccount':
      return `/api/v1/namespaces/${ns}/serviceaccounts/${name}`;
    default:
      throw new ClusterError(
        `${source}: cannot install ${doc.apiVersion} ${doc.kind} (unsupported kind)`,
      );
  }
}

async function applyDoc(api: KubeApi, doc: ManifestDoc, source: string): Promise<void> {
  const resp = await api.request(
    'PATCH',
    `${resourcePath(doc, source)}?fieldManager=${FIELD_MANAGER}&force=true`,
    {
      body: doc,
      contentType: 'application/apply-patch+yaml',
    },
  );
  if (resp.status < 200 || resp.status >= 300) {
    throw new ClusterError(
      `apply ${doc.kind} ${doc.metadata.name} from ${source}: HTTP ${resp.status} ${resp.text.slice(0, 300)}`,
    );
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(full);
      return /\.ya?ml$/.test(entry.name) ? [full] : [];
    });
}

const loadDocs = (file: string) =>
  yaml
    .loadAll(readFileSync(file, 'utf8'))
    .filter((d): d is ManifestDoc => !!d && typeof d === 'object')
    .map((doc) => ({ doc, source: file }));

/** The admin client for a running cluster. */
export function adminClient(info: ClusterInfo, token: string): KubeApi {
  return new KubeApi(info.server, token, readFileSync(info.caFile));
}

export interface StartedApiserver {
  info: ClusterInfo;
  admin: KubeApi;
  adminToken: string;
  /** Token of the user the Kubeless controllers run as (cluster-admin). */
  controllerToken: string;
}

export async function startApiserver(
  layout: StateLayout,
  options: { serviceSubnet: string; log: (message: string) => void },
): Promise<StartedApiserver> {
  const started = Date.now();
  mkdirSync(layout.certDir, { recursive: true, mode: 0o700 });
  const [etcdPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const clusterId = randomBytes(3).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const unprivilegedToken = randomBytes(24).toString('hex');
  const controllerToken = randomBytes(24).toString('hex');
  writeFileSync(
    layout.tokens,
    [
      `${adminToken},sk8s-admin,sk8s-admin,"system:masters"`,
      `${unprivilegedToken},sk8s-unprivileged,sk8s-unprivileged`,
      `${controllerToken},sk8s-kubeless-controller,sk8s-kubeless-controller,"system:masters"`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      layout.saKey,
      '-out',
      layout.saCrt,
      '-days',
      '30',
      '-subj',
      '/CN=sk8s-test-service-accounts',
    ],
    { stdio: 'ignore' },
  );

  const { etcd, apiserver } = layout.processes;
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  startDetached(etcd, 'etcd', [
    '--name=sk8s',
    `--data-dir=${layout.etcdData}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=sk8s=${peerUrl}`,
  ]);
  startDetached(apiserver, binaries.apiserver, [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${layout.certDir}`,
    `--token-auth-file=${layout.tokens}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${layout.saCrt}`,
    `--service-account-signing-key-file=${layout.saKey}`,
    `--service-cluster-ip-range=${options.serviceSubnet}`,
    // The node agent registers only an InternalIP: pod logs go there.
    '--kubelet-preferred-address-types=InternalIP',
    // The default reconciler tries to publish 127.0.0.1 as the kubernetes Service endpoint and fails every 10 s.
    '--endpoint-reconciler-type=none',
  ]);

  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = join(layout.certDir, 'apiserver.crt');
  const info: ClusterInfo = {
    clusterId,
    server,
    etcdUrl,
    caFile,
    kubeconfig: layout.adminKubeconfig,
    unprivilegedKubeconfig: layout.unprivilegedKubeconfig,
    netnsPrefix: `sk8s-${clusterId}-`,
    serviceSubnet: options.serviceSubnet,
  };
  writeFileSync(layout.info, JSON.stringify(info, null, 2), { mode: 0o600 });

  // The serving certificate (self-signed, with its CA) appears in cert-dir as the apiserver starts.
  await waitFor('the apiserver serving certificate', 30_000, () => {
    assertAlive(etcd, apiserver);
    return existsSync(caFile) && readFileSync(caFile, 'utf8').includes('END CERTIFICATE');
  });
  const admin = adminClient(info, adminToken);
  await waitFor('/readyz', 60_000, async () => {
    assertAlive(etcd, apiserver);
    return (await admin.request('GET', '/readyz')).status === 200;
  });
  options.log(`apiserver ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const caPem = readFileSync(caFile, 'utf8');
  writeFileSync(layout.adminKubeconfig, kubeconfigYaml(server, caPem, 'sk8s-admin', adminToken), {
    mode: 0o600,
  });
  writeFileSync(
    layout.unprivilegedKubeconfig,
    kubeconfigYaml(server, caPem, 'sk8s-unprivileged', unprivilegedToken),
    {
      mode: 0o600,
    },
  );
  return { info, admin, adminToken, controllerToken };
}

/** CRDs and the kubeless-config; waits until every CRD is Established. */
export async function installManifests(
  admin: KubeApi,
  log: (message: string) => void,
): Promise<number> {
  const crds = yamlFiles(join(manifestsDir, 'crds')).flatMap(loadDocs);
  // CRDs go in while the apiserver is still creating its system namespaces.
  await Promise.all([
    ...crds.map(({ doc, source }) => applyDoc(admin, doc, source)),
    waitFor(
      'namespace default',
      30_000,
      async () => (await admin.request('GET', '/api/v1/namespaces/default')).status === 200,
    ),
  ]);
  await applyDoc(
    admin,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeless' } },
    'test-cluster',
  );
  for (const { doc, source } of loadDocs(join(manifestsDir, 'kubeless-config.yaml')))
    await applyDoc(admin, doc, source);
  await waitFor(`${crds.length} CRDs Established`, 30_000, async () => {
    const results = await Promise.all(
      crds.map(async ({ doc, source }) => {
        const resp = await admin.request<{
          status?: { conditions?: { type: string; status: string }[] };
        }>('GET', resourcePath(doc, source));
        return (resp.body?.status?.conditions ?? []).some(
          (c) => c.type === 'Established' && c.status === 'True',
        );
      }),
    );
    return results.every(Boolean);
  });
  log(`${crds.length} CRDs and kubeless-config installed`);
  return crds.length;
}

/** Without a controller-manager nothing creates the default ServiceAccount that Pod admission requires. */
export async function createDefaultServiceAccount(admin: KubeApi): Promise<void> {
  await applyDoc(
    admin,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'default' },
    },
    'test-cluster',
  );
}
