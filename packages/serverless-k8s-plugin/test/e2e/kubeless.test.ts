// End to end on Kubeless: the real `serverless` CLI with the built plugin against the real
// kube-apiserver. The test plays the Kubeless controller and kubelet (test/harness/pods.ts): once
// deploy has applied a Function, its code is taken out of the Function and served by the real
// runtime in a network namespace, so invoke travels CLI → API server proxy → runtime process.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { netnsSupport } from '../../../../test/harness/netns.js';
import { failPod, kubelessLabels, runtimeCli } from '../../../../test/harness/pods.js';
import { copyService, type CliResult, type ServiceCopy } from './cli.js';
import {
  kubelessCode,
  kubelessFunctionPath,
  serveKubelessFunction,
  waitForObject,
  removeUnpackedCode,
} from './controller.js';

const support = await netnsSupport();
const namespace = useTestNamespace('e2e-kubeless');
let service: ServiceCopy;

function sls(args: string[]): Promise<CliResult> {
  return service.sls([...args, '--param', `namespace=${namespace.name}`]);
}

async function ownedFunctions(): Promise<string[]> {
  const list = await adminApi().expect(
    'GET',
    `/apis/kubeless.io/v1beta1/namespaces/${namespace.name}/functions`,
  );
  return (list.items ?? []).map((item) => item.metadata?.name ?? '').sort();
}

describe.skipIf(!support.ok)('Kubeless end to end with the serverless CLI', () => {
  beforeAll(async () => {
    service = await copyService('e2e-kubeless', { KUBECONFIG: testCluster().kubeconfig });
  });

  afterAll(async () => {
    await service?.dispose();
    await removeUnpackedCode();
  });

  it('refuses an unknown runtime, listing the valid ones, before applying anything', async () => {
    // A Node.js version this cluster's kubeless-config does not list.
    const result = await sls(['deploy', '--param', 'runtime=nodejs20']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'function "hello": runtime "nodejs20" is not available — did you mean "nodejs14"?',
    );
    expect(result.output).toMatch(
      /Valid runtimes in cluster .*: nodejs10, nodejs12, nodejs14, python3\.6/,
    );
    expect(await ownedFunctions()).toEqual([]);
  });

  it('deploys, waits for each function to be ready and says so', async () => {
    const deploying = sls(['deploy']);
    // The controller's part: pods serving the code of the Functions deploy applied.
    await Promise.all([
      serveKubelessFunction(namespace.name, 'hello'),
      serveKubelessFunction(namespace.name, 'greet'),
    ]);
    const result = await deploying;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Applied 3 objects to .*: 3 changed, 0 unchanged, 0 pruned/);
    expect(result.output).toMatch(/hello ready \(1\/1\) http:\/\/\S+\/hello/);
    expect(result.output).toMatch(/greet ready \(1\/1\)/);
    expect(await ownedFunctions()).toEqual(['greet', 'hello']);
  });

  it('changes nothing on a second identical deploy', async () => {
    const result = await sls(['deploy']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/No changes: 3 objects already up to date/);
  });

  it('applies the YAML of an earlier `package` with deploy --package (nothing to change here)', async () => {
    const packaged = await sls(['package']);
    expect(packaged.code, packaged.output).toBe(0);
    const result = await sls(['deploy', '--package', '.serverless', '--no-wait']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain('Packaged');
    expect(result.output).toMatch(/No changes: 3 objects already up to date/);
    expect(result.output).toContain('Not waiting for readiness (--no-wait)');
  });

  it('invokes through the API server proxy and prints what the handler returned', async () => {
    const result = await sls(['invoke', '-f', 'hello', '-d', '{"name":"Ada"}']);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello, Ada!' });
  });

  it("exits non-zero with the status and body of a handler's 500", async () => {
    const result = await sls(['invoke', '-f', 'greet', '-d', '{}']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Function greet answered HTTP 500 Internal Server Error');
    expect(result.output).toContain('"error": "Internal Server Error"');
  });

  it("shows the runtime's call counters", async () => {
    const result = await sls(['metrics']);
    expect(result.code, result.output).toBe(0);
    const rows = Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s{2,}/))
        .map(([name, ...cells]) => [name, cells]),
    );
    expect(result.stdout).toMatch(
      /^FUNCTION\s+PODS\s+CALLS\s+FAILURES\s+TOTAL DURATION\s+AVG DURATION/,
    );
    expect(rows.hello?.slice(0, 3)).toEqual(['1', '1', '0']);
    expect(rows.greet?.slice(0, 3)).toEqual(['1', '1', '1']);
    expect(rows.hello?.[4]).toMatch(/^\d+(\.\d+)?(ms|s)$/);
  });

  it('describes the deployed service', async () => {
    const result = await sls(['info']);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`namespace: ${namespace.name}`);
    expect(result.stdout).toMatch(
      /✔ hello\n\s+runtime:\s+nodejs14\n\s+handler:\s+hello\.hello\n\s+ready:\s+1\/1/,
    );
    expect(result.stdout).toMatch(/HTTPTrigger\s+hello-http-0\s+http:\/\/\S+\/hello/);
  });

  it('reports a crash loop with the exit code and what the process printed', async () => {
    const deploying = sls(['deploy', '--config', 'serverless.crash.yml', '--wait-timeout', '60s']);
    // The kubelet's part: run the function's real code; it dies at load time, so report that crash.
    const { moduleFile, handler } = await kubelessCode(
      await waitForObject(kubelessFunctionPath(namespace.name, 'crash')),
    );
    const run = spawnSync(
      process.execPath,
      [runtimeCli, moduleFile, '--handler', handler, '--port', '0'],
      {
        env: { ...process.env, DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(run.status).toBe(1);
    await failPod({
      namespace: namespace.name,
      name: 'crash',
      labels: kubelessLabels('crash'),
      reason: 'CrashLoopBackOff',
      exitCode: run.status ?? 1,
      message: `${run.stdout}${run.stderr}`.trim().split('\n').slice(-3).join('\n'),
    });
    const result = await deploying;
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/crash not ready \(0\/1\): .*CrashLoopBackOff/);
    expect(result.output).toContain('last exit code 1');
    expect(result.output).toContain('DATABASE_URL is not set');
    expect(result.output).toMatch(/Deploy failed: 1 of 1 function not ready/);
  });

  it('creates a missing target namespace and says so', async () => {
    const extra = `${namespace.name}-x`;
    const target = (args: string[]) => service.sls([...args, '--param', `namespace=${extra}`]);
    try {
      const result = await target(['deploy', '--no-wait']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain(`Created namespace ${extra} (it did not exist)`);
      const functions = await adminApi().expect(
        'GET',
        `/apis/kubeless.io/v1beta1/namespaces/${extra}/functions`,
      );
      expect((functions.items ?? []).map((item) => item.metadata?.name).sort()).toEqual([
        'greet',
        'hello',
      ]);
      expect((await target(['remove'])).code).toBe(0);
    } finally {
      await adminApi().request('DELETE', `/api/v1/namespaces/${extra}`);
    }
  });

  it('removes everything the service owns and nothing else', async () => {
    const result = await sls(['remove']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Removed e2e-shop \(stage dev\): 3 objects deleted/);
    // The crash service (same namespace, another serverless service) is untouched.
    expect(await ownedFunctions()).toEqual(['crash']);
    const triggers = await adminApi().expect(
      'GET',
      `/apis/kubeless.io/v1beta1/namespaces/${namespace.name}/httptriggers`,
    );
    expect(triggers.items).toEqual([]);
    const again = await sls(['remove']);
    expect(again.output).toMatch(/Nothing to remove: e2e-shop \(stage dev\) owns no objects/);
  });
});
