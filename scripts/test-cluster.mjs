#!/usr/bin/env node
// A real etcd + kube-apiserver on loopback for the integration and e2e tests (../shared/k8s/README.md).
//   node scripts/test-cluster.mjs up      start (or reuse) the cluster, print KUBECONFIG=<path>, exit 0
//   node scripts/test-cluster.mjs down    stop apiserver, then etcd; delete this cluster's netns; remove state
//   node scripts/test-cluster.mjs status  print whether the cluster in the state dir is running
// State dir: $SK8S_TEST_CLUSTER_DIR or <repo>/.test-cluster. Progress goes to stderr; stdout carries only
// the KUBECONFIG line, so callers can parse it. Tokens are written to files, never printed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = resolve(process.env.SK8S_TEST_CLUSTER_DIR || join(repoRoot, '.test-cluster'));
const cacheDir = process.env.SK8S_CACHE_DIR || join(homedir(), '.cache', 'serverless-k8s');
const apiserverBin = process.env.SK8S_KUBE_APISERVER || join(cacheDir, 'bin', 'kube-apiserver');
const apiserverName = basename(apiserverBin);
const sharedCrds = resolve(repoRoot, '..', 'shared', 'crds');
const projectCrds = join(repoRoot, 'test', 'crds');
const sharedKubelessConfig = resolve(repoRoot, '..', 'shared', 'fixtures', 'kubeless-config.yaml');
const projectKubelessConfig = join(repoRoot, 'test', 'harness', 'fixtures', 'kubeless-config.yaml');
const fieldManager = 'sk8s-test-cluster';
// Network namespaces made by test/harness/netns.ts are named sk8s-<clusterId>-<suffix>.
const netnsPrefix = 'sk8s-';

const paths = {
  info: join(stateDir, 'cluster.json'),
  etcdPid: join(stateDir, 'etcd.pid'),
  apiserverPid: join(stateDir, 'apiserver.pid'),
  etcdLog: join(stateDir, 'etcd.log'),
  apiserverLog: join(stateDir, 'apiserver.log'),
  etcdData: join(stateDir, 'etcd-data'),
  certDir: join(stateDir, 'certs'),
  tokens: join(stateDir, 'tokens.csv'),
  saKey: join(stateDir, 'sa.key'),
  saCrt: join(stateDir, 'sa.crt'),
  adminKubeconfig: join(stateDir, 'admin.kubeconfig'),
  unprivilegedKubeconfig: join(stateDir, 'unprivileged.kubeconfig'),
};

const log = (msg) => process.stderr.write(`[test-cluster] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class ClusterError extends Error {}

// ---------- prerequisites ----------

function ensureDebianPackages() {
  const wanted = { 'etcd-server': 'etcd', iproute2: 'ip', openssl: 'openssl' };
  const missing = Object.keys(wanted).filter(
    (pkg) => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new ClusterError(
      `missing Debian packages ${missing.join(', ')}: run as root or apt-get install them`,
    );
  }
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: ['ignore', 2, 2], env });
}

const buildRunning = () =>
  spawnSync('pgrep', ['-f', 'build-apiserver'], { stdio: 'ignore' }).status === 0;

async function ensureApiserverBinary() {
  if (existsSync(apiserverBin)) return;
  if (buildRunning()) {
    log(`waiting for the running kube-apiserver build (log: /tmp/apiserver-build.log)`);
    // A cold build takes 4-6 minutes on 2 cores; 30 minutes is the outer bound.
    for (let waited = 0; buildRunning() && waited < 30 * 60; waited += 5) await sleep(5000);
    if (existsSync(apiserverBin)) return;
  }
  log(`building kube-apiserver into ${apiserverBin} (4-6 minutes, once)`);
  execFileSync('bash', [join(repoRoot, 'scripts', 'build-apiserver.sh')], {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, SK8S_CACHE_DIR: cacheDir },
  });
  if (!existsSync(apiserverBin))
    throw new ClusterError(`build-apiserver.sh finished but ${apiserverBin} is missing`);
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

// ---------- processes ----------

const readPid = (file) => {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

// The pid file may outlive its process and the pid be reused: only trust a pid running the expected binary.
function processRuns(pid, binaryName) {
  if (pid === undefined) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith(binaryName);
  } catch {
    return false;
  }
}

function startDetached(binary, args, logFile, pidFile) {
  const out = openSync(logFile, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

async function stopProcess(pidFile, binaryName) {
  const pid = readPid(pidFile);
  if (!processRuns(pid, binaryName)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && processRuns(pid, binaryName); i++) await sleep(100);
  if (processRuns(pid, binaryName)) {
    log(`${binaryName} (pid ${pid}) ignored SIGTERM for 5 s: SIGKILL`);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && processRuns(pid, binaryName); i++) await sleep(100);
  }
}

// ---------- API access (plain https with the admin token; no kubectl) ----------

function apiRequest(cluster, method, path, body, contentType = 'application/json') {
  const url = new URL(path, cluster.server);
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: cluster.ca,
        headers: {
          authorization: `Bearer ${cluster.token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
        timeout: 10_000,
      },
      (resp) => {
        const chunks = [];
        resp.on('data', (c) => chunks.push(c));
        resp.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          res({ status: resp.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', rej);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function expectOk(promise, what) {
  const resp = await promise;
  if (resp.status < 200 || resp.status >= 300) {
    throw new ClusterError(
      `${what}: HTTP ${resp.status} ${resp.json?.message ?? resp.text.slice(0, 300)}`,
    );
  }
  return resp;
}

// Only the kinds this script installs; a CRD file holding anything else is reported, not guessed at.
function resourcePath(doc) {
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
      return undefined;
  }
}

function applyDoc(cluster, doc, source) {
  const path = resourcePath(doc);
  if (!path)
    throw new ClusterError(
      `${source}: cannot install ${doc.apiVersion} ${doc.kind} (unsupported kind)`,
    );
  const query = `?fieldManager=${fieldManager}&force=true`;
  return expectOk(
    apiRequest(cluster, 'PATCH', path + query, doc, 'application/apply-patch+yaml'),
    `apply ${doc.kind} ${doc.metadata.name} from ${source}`,
  );
}

function yamlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = join(dir, e.name);
      if (e.isDirectory()) return yamlFiles(full);
      return /\.ya?ml$/.test(e.name) ? [full] : [];
    });
}

const loadDocs = (file) =>
  yaml
    .loadAll(readFileSync(file, 'utf8'))
    .filter((d) => d && typeof d === 'object')
    .map((doc) => ({ doc, source: file }));

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof ClusterError) throw err; // fatal (a process died), unlike a refused connection
      last = err;
    }
    await sleep(150);
  }
  throw new ClusterError(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`,
  );
}

// ---------- kubeconfig ----------

function kubeconfig(server, caPem, user, token) {
  const config = {
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
  };
  return yaml.dump(config);
}

// ---------- commands ----------

const readInfo = () =>
  existsSync(paths.info) ? JSON.parse(readFileSync(paths.info, 'utf8')) : undefined;

async function isRunning(info) {
  if (!info) return false;
  if (
    !processRuns(readPid(paths.etcdPid), 'etcd') ||
    !processRuns(readPid(paths.apiserverPid), apiserverName)
  ) {
    return false;
  }
  const cluster = { server: info.server, ca: readFileSync(info.caFile), token: info.adminToken };
  try {
    return (await apiRequest(cluster, 'GET', '/readyz')).status === 200;
  } catch {
    return false;
  }
}

async function up() {
  const started = Date.now();
  const existing = readInfo();
  if (existing?.readyAt && (await isRunning(existing))) {
    log(`already running (${existing.server}), state in ${stateDir}`);
    process.stdout.write(`KUBECONFIG=${paths.adminKubeconfig}\n`);
    return;
  }
  if (existsSync(stateDir)) await down({ quiet: true }); // stale or half-started state

  ensureDebianPackages();
  await ensureApiserverBinary();
  mkdirSync(paths.certDir, { recursive: true, mode: 0o700 });

  const [etcdPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const clusterId = randomBytes(3).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const unprivilegedToken = randomBytes(24).toString('hex');
  writeFileSync(
    paths.tokens,
    `${adminToken},sk8s-admin,sk8s-admin,"system:masters"\n${unprivilegedToken},sk8s-unprivileged,sk8s-unprivileged\n`,
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
      paths.saKey,
      '-out',
      paths.saCrt,
    ].concat(['-days', '30', '-subj', '/CN=sk8s-test-service-accounts']),
    { stdio: 'ignore' },
  );

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  startDetached(
    'etcd',
    [
      '--name=sk8s',
      `--data-dir=${paths.etcdData}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=sk8s=${peerUrl}`,
    ],
    paths.etcdLog,
    paths.etcdPid,
  );
  startDetached(
    apiserverBin,
    [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${paths.certDir}`,
      `--token-auth-file=${paths.tokens}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${paths.saCrt}`,
      `--service-account-signing-key-file=${paths.saKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // The default reconciler tries to publish 127.0.0.1 as the kubernetes Service endpoint and fails every 10 s.
      '--endpoint-reconciler-type=none',
    ],
    paths.apiserverLog,
    paths.apiserverPid,
  );

  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = join(paths.certDir, 'apiserver.crt');
  const info = {
    clusterId,
    server,
    etcdUrl,
    caFile,
    adminToken,
    netnsPrefix: `${netnsPrefix}${clusterId}-`,
    kubeconfig: paths.adminKubeconfig,
    unprivilegedKubeconfig: paths.unprivilegedKubeconfig,
  };
  writeFileSync(paths.info, JSON.stringify(info, null, 2), { mode: 0o600 });

  const assertAlive = () => {
    for (const [pidFile, name, logFile] of [
      [paths.etcdPid, 'etcd', paths.etcdLog],
      [paths.apiserverPid, apiserverName, paths.apiserverLog],
    ]) {
      if (!processRuns(readPid(pidFile), name)) {
        throw new ClusterError(`${name} exited during start-up (log: ${logFile})`);
      }
    }
  };

  // The serving certificate (self-signed, with its CA) appears in cert-dir as the apiserver starts.
  await waitFor('the apiserver serving certificate', 30_000, () => {
    assertAlive();
    return existsSync(caFile) && readFileSync(caFile, 'utf8').includes('END CERTIFICATE');
  });
  const cluster = { server, ca: readFileSync(caFile), token: adminToken };
  await waitFor('/readyz', 60_000, async () => {
    assertAlive();
    return (await apiRequest(cluster, 'GET', '/readyz')).status === 200;
  });
  log(`apiserver ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const caPem = readFileSync(caFile, 'utf8');
  writeFileSync(paths.adminKubeconfig, kubeconfig(server, caPem, 'sk8s-admin', adminToken), {
    mode: 0o600,
  });
  writeFileSync(
    paths.unprivilegedKubeconfig,
    kubeconfig(server, caPem, 'sk8s-unprivileged', unprivilegedToken),
    {
      mode: 0o600,
    },
  );

  const crdDir = existsSync(sharedCrds) ? sharedCrds : projectCrds;
  if (crdDir === projectCrds)
    log(`${sharedCrds} is absent: installing the project's minimal CRDs from test/crds`);
  const crds = yamlFiles(crdDir).flatMap(loadDocs);
  // CRDs go in while the apiserver is still creating its system namespaces.
  await Promise.all([
    ...crds.map(({ doc, source }) => applyDoc(cluster, doc, source)),
    waitFor('namespace default', 30_000, async () => {
      return (await apiRequest(cluster, 'GET', '/api/v1/namespaces/default')).status === 200;
    }),
  ]);

  await applyDoc(
    cluster,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeless' } },
    'test-cluster',
  );
  const kubelessConfig = existsSync(sharedKubelessConfig)
    ? sharedKubelessConfig
    : projectKubelessConfig;
  for (const { doc, source } of loadDocs(kubelessConfig)) await applyDoc(cluster, doc, source);
  // No controller-manager: nothing creates the default ServiceAccount that Pod admission requires.
  await applyDoc(
    cluster,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'default' },
    },
    'test-cluster',
  );

  await waitFor(`${crds.length} CRDs Established`, 30_000, async () => {
    const results = await Promise.all(
      crds.map(async ({ doc }) => {
        const resp = await apiRequest(cluster, 'GET', resourcePath(doc));
        return (resp.json?.status?.conditions ?? []).some(
          (c) => c.type === 'Established' && c.status === 'True',
        );
      }),
    );
    return results.every(Boolean);
  });

  log(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${server}, ${crds.length} CRDs from ${crdDir}, ` +
      `state in ${stateDir}`,
  );
  // Marks the start-up as complete: a second `up` reuses only a cluster that got this far.
  writeFileSync(
    paths.info,
    JSON.stringify({ ...info, readyAt: new Date().toISOString() }, null, 2),
    {
      mode: 0o600,
    },
  );
  process.stdout.write(`KUBECONFIG=${paths.adminKubeconfig}\n`);
}

function ownNetns(prefix) {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (listed.status !== 0) return [];
  return listed.stdout
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name && name.startsWith(prefix));
}

// Kills what the pod helper left running inside this cluster's namespaces, then deletes them.
function deleteNetns(prefix) {
  for (const name of ownNetns(prefix)) {
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  }
}

async function down({ quiet = false } = {}) {
  const info = readInfo();
  await stopProcess(paths.apiserverPid, apiserverName);
  await stopProcess(paths.etcdPid, 'etcd');
  if (info?.netnsPrefix) deleteNetns(info.netnsPrefix);
  // Only what `up` wrote is removed, so a state dir pointed at an existing directory loses nothing else.
  for (const path of Object.values(paths)) rmSync(path, { recursive: true, force: true });
  let removed = true;
  try {
    rmdirSync(stateDir);
  } catch (err) {
    removed = err.code === 'ENOENT';
  }
  if (!removed) log(`left ${stateDir} in place: it holds files test-cluster did not write`);
  if (!quiet)
    log(info ? `stopped ${info.server} and removed its state` : `nothing running in ${stateDir}`);
}

async function status() {
  const info = readInfo();
  if (await isRunning(info)) {
    log(`running: ${info.server}, state in ${stateDir}`);
    process.stdout.write(`KUBECONFIG=${paths.adminKubeconfig}\n`);
    return 0;
  }
  log(
    info ? `not healthy (state in ${stateDir}; run down)` : `not running (no state in ${stateDir})`,
  );
  return 1;
}

const command = process.argv[2];
try {
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') process.exitCode = await status();
  else {
    process.stderr.write(
      'usage: node scripts/test-cluster.mjs up|down|status  (state dir: $SK8S_TEST_CLUSTER_DIR)\n',
    );
    process.exitCode = 2;
  }
} catch (err) {
  log(err instanceof ClusterError ? err.message : (err?.stack ?? String(err)));
  if (command === 'up') {
    for (const logFile of [paths.etcdLog, paths.apiserverLog].filter((f) => existsSync(f))) {
      const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
      log(`last lines of ${logFile}:\n${tail}`);
    }
    log('start-up failed: stopping what was started');
    await down({ quiet: true }).catch(() => {});
  }
  process.exitCode = 1;
}
