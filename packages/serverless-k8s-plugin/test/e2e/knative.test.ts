// End to end on Knative Serving: the real `serverless` CLI with the built plugin against the test
// cluster of `test-cluster up --controllers`. Knative's reconcilers are a stand-in of ours
// (packages/test-cluster/src/knative-serving: Configuration, Revision, Route and their status;
// no queue-proxy, ingress or autoscaler), and everything below the Revision is real: its
// Deployment, ReplicaSet and Pods come from kube-controller-manager and kube-scheduler, the node
// agent runs the container's command on the code ConfigMap, and the endpoints controller puts
// the pods behind `<revision>-private`, where `invoke` goes through the API server's proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { copyService, type CliResult, type ServiceCopy } from './cli.js';

const namespace = useTestNamespace('e2e-knative');
let service: ServiceCopy;
const revisions: Record<string, string> = {};

function sls(args: string[]): Promise<CliResult> {
  return service.sls([...args, '--param', `namespace=${namespace.name}`], { timeoutMs: 240_000 });
}

async function latestReady(name: string): Promise<string> {
  const object = await adminApi().expect(
    'GET',
    `/apis/serving.knative.dev/v1/namespaces/${namespace.name}/services/${name}`,
  );
  return String((object.status as { latestReadyRevisionName?: string }).latestReadyRevisionName);
}

describe('Knative end to end with the serverless CLI', () => {
  beforeAll(async () => {
    service = await copyService('e2e-knative', { KUBECONFIG: testCluster().kubeconfig });
  });

  afterAll(async () => {
    await service?.dispose();
  });

  it('deploys the Services with their code ConfigMaps and reports them ready with their URLs', async () => {
    const result = await sls(['deploy', '--wait-timeout', '180s']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Applied 4 objects to .*: 4 changed, 0 unchanged, 0 pruned/);
    expect(result.output).toContain(`hello ready (1/1) http://hello.${namespace.name}.example.com`);
    expect(result.output).toContain(`greet ready (1/1) http://greet.${namespace.name}.example.com`);
    revisions.hello = await latestReady('hello');
    // The revision's pods are real: a Deployment made for the Revision, scheduled and running.
    const pods = await adminApi().expect(
      'GET',
      `/api/v1/namespaces/${namespace.name}/pods?labelSelector=serving.knative.dev/revision=${revisions.hello}`,
    );
    expect((pods.items ?? []).map((pod) => (pod.status as { phase?: string }).phase)).toEqual([
      'Running',
    ]);
  });

  it('changes nothing on a second identical deploy', async () => {
    const result = await sls(['deploy']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/No changes: 4 objects already up to date/);
  });

  it('invokes the latest ready revision through the API server proxy', async () => {
    const result = await sls(['invoke', '-f', 'hello', '-d', '{"name":"Ada"}']);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello, Ada!' });
  });

  it('sends a binary-mode CloudEvent with --cloudevent, whose data the handler receives', async () => {
    const result = await sls([
      'invoke',
      '-f',
      'hello',
      '--cloudevent',
      '--type',
      'com.example.greeting',
      '--source',
      '/e2e',
      '-d',
      '{"name":"CloudEvents"}',
    ]);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello, CloudEvents!' });
  });

  it("exits non-zero with the status and body of a handler's 500", async () => {
    const result = await sls(['invoke', '-f', 'greet', '-d', '{}']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Function greet answered HTTP 500 Internal Server Error');
  });

  it('shows the logs of the revision’s pods', async () => {
    const result = await sls(['logs', '-f', 'greet']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Cannot read propert/);
  });

  it('describes URL, revisions and traffic', async () => {
    const result = await sls(['info']);
    expect(result.code, result.output).toBe(0);
    const hello = revisions.hello as string;
    expect(result.stdout).toContain(`url:       http://hello.${namespace.name}.example.com`);
    expect(result.stdout).toContain(`revisions: latest created ${hello}, latest ready ${hello}`);
    expect(result.stdout).toMatch(new RegExp(`${hello} \\(latest\\)\\s+100%`));
  });

  it('reports a new revision that crashes, with what it printed, keeping the old one serving', async () => {
    const result = await sls([
      'deploy',
      'function',
      '-f',
      'hello',
      '--param',
      'nodeOptions=--require /nonexistent/preload.js',
      '--wait-timeout',
      '120s',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/hello not ready .*CrashLoopBackOff/);
    expect(result.output).toContain("Cannot find module '/nonexistent/preload.js'");
    // The previous revision still answers: traffic goes to the latest ready one.
    expect(await latestReady('hello')).toBe(revisions.hello);
    const invoke = await sls(['invoke', '-f', 'hello', '-d', '{"name":"Ada"}']);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Hello, Ada!' });
  });

  it('removes the Services and code ConfigMaps it owns, nothing else', async () => {
    const api = adminApi();
    await api.expect('POST', `/api/v1/namespaces/${namespace.name}/configmaps`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'not-ours' },
        data: { a: 'b' },
      },
    });
    const result = await sls(['remove']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Removed e2e-kn \(stage dev\): \d+ objects deleted/);
    const services = await api.expect(
      'GET',
      `/apis/serving.knative.dev/v1/namespaces/${namespace.name}/services`,
    );
    expect(services.items).toEqual([]);
    const configMaps = await api.expect('GET', `/api/v1/namespaces/${namespace.name}/configmaps`);
    // kube-root-ca.crt is kube-controller-manager's, in every namespace.
    expect((configMaps.items ?? []).map((item) => item.metadata?.name).sort()).toEqual([
      'kube-root-ca.crt',
      'not-ours',
    ]);
  });
});
