// `deploy` when the API server goes silent half-way: the real CLI against a cluster of its own (the
// shared one must keep answering), whose kube-apiserver is stopped (SIGSTOP) once the first objects
// are in. The deploy must say it is waiting, fail with a clear timeout naming the server, list
// what it applied and what not, and a rerun once the server answers again must converge.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApi, waitFor } from '../../../../test/harness/cluster.js';
import { copyServiceDir, type ServiceCopy } from '../e2e/cli.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const script = path.join(repoRoot, 'scripts', 'test-cluster.mjs');
const FUNCTIONS = 40;

let stateDir: string;
let sourceDir: string;
let service: ServiceCopy;
let api: KubeApi;
let apiserverPid: number;

const functionNames = async (): Promise<string[]> =>
  (
    (await api.expect('GET', '/apis/kubeless.io/v1beta1/namespaces/faults/functions')).items ?? []
  ).map((item) => item.metadata?.name ?? '');

describe('deploy against an API server that stops answering', () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'sk8s-faults-cluster-'));
    const env = { ...process.env, SK8S_TEST_CLUSTER_DIR: stateDir };
    const out = execFileSync(process.execPath, [script, 'up'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(out)?.[1] ?? '';
    api = KubeApi.fromKubeconfig(kubeconfig);
    apiserverPid = Number(await readFile(path.join(stateDir, 'apiserver.pid'), 'utf8'));
    // A service of many functions, so that the apply takes long enough to be cut in the middle.
    sourceDir = await mkdtemp(path.join(tmpdir(), 'sk8s-faults-service-'));
    await mkdir(path.join(sourceDir, 'src'));
    await writeFile(
      path.join(sourceDir, 'src', 'handler.ts'),
      'export const hello = () => "hi";\n',
    );
    const functions = Array.from(
      { length: FUNCTIONS },
      (_, i) => `  f${i}:\n    handler: src/handler.hello\n`,
    ).join('');
    await writeFile(
      path.join(sourceDir, 'serverless.yml'),
      `service: faults\nprovider:\n  name: kubeless\n  namespace: faults\nplugins:\n  - serverless-k8s\nfunctions:\n${functions}`,
    );
    await writeFile(
      path.join(sourceDir, 'package.json'),
      '{ "name": "faults", "private": true }\n',
    );
    service = await copyServiceDir(sourceDir, { KUBECONFIG: kubeconfig });
  }, 180_000);

  afterAll(async () => {
    try {
      process.kill(apiserverPid, 'SIGCONT');
    } catch {
      // already gone
    }
    api?.close();
    await service?.dispose();
    await rm(sourceDir, { recursive: true, force: true });
    execFileSync(process.execPath, [script, 'down'], {
      env: { ...process.env, SK8S_TEST_CLUSTER_DIR: stateDir },
      stdio: 'ignore',
    });
  });

  it('says it is waiting, fails naming the server, and lists what was and was not applied', async () => {
    const deploying = service.sls(['deploy', '--no-wait'], { timeoutMs: 120_000 });
    await waitFor(
      'the first Functions to be applied',
      async () => (await functionNames()).length > 0 || undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 20,
      },
    );
    process.kill(apiserverPid, 'SIGSTOP');
    const result = await deploying.finally(() => process.kill(apiserverPid, 'SIGCONT'));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /Still waiting for the API server https:\/\/127\.0\.0\.1:\d+ after \d+s \(create Function "f\d+" in namespace "faults" and \d+ more requests?\)/,
    );
    expect(result.output).toMatch(
      /The API server https:\/\/127\.0\.0\.1:\d+ of .* did not answer \(ETIMEDOUT\)/,
    );
    expect(result.output).toMatch(
      new RegExp(
        `The apply stopped part-way: \\d+ of ${FUNCTIONS + 0} objects were applied \\(Function/f\\d+`,
      ),
    );
    expect(result.output).toContain('run the same command again to converge');
    expect((await functionNames()).length).toBeLessThan(FUNCTIONS);
  }, 150_000);

  it('converges when run again', async () => {
    const result = await service.sls(['deploy', '--no-wait'], { timeoutMs: 120_000 });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(
      new RegExp(`Applied ${FUNCTIONS} objects to .*: \\d+ changed, \\d+ unchanged, 0 pruned`),
    );
    expect((await functionNames()).sort()).toHaveLength(FUNCTIONS);
  }, 150_000);
});
