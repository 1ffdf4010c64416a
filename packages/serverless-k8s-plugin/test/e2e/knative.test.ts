// End to end on Knative Serving: the real `serverless` CLI with the built plugin against the real
// kube-apiserver with the Knative CRDs. The test plays Knative Serving and the kubelet: it creates
// the Revision the Service's template asks for, runs the container's command on the code
// ConfigMap's files in a network namespace behind `<revision>-private`, and writes the Service
// status (Ready with a URL, or RevisionFailed) the way the controller would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster, waitFor } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { netnsSupport } from '../../../../test/harness/netns.js';
import { copyService, type CliResult, type ServiceCopy } from './cli.js';
import {
  knativeServicePath,
  markKnativeFailed,
  markKnativeReady,
  serveKnativeService,
  waitForObject,
  removeUnpackedCode,
} from './controller.js';

const support = await netnsSupport();
const namespace = useTestNamespace('e2e-knative');
let service: ServiceCopy;
const revisions: Record<string, string> = {};
const podUrls: Record<string, string> = {};

function sls(args: string[]): Promise<CliResult> {
  return service.sls([...args, '--param', `namespace=${namespace.name}`]);
}

/** Knative Serving's part for one function: revision, serving pod, Ready status with a URL. */
async function rollOut(name: string): Promise<void> {
  const { revision, pod } = await serveKnativeService(namespace.name, name);
  revisions[name] = revision;
  podUrls[name] = pod.url;
  await markKnativeReady(namespace.name, name, revision);
}

describe.skipIf(!support.ok)('Knative end to end with the serverless CLI', () => {
  beforeAll(async () => {
    service = await copyService('e2e-knative', { KUBECONFIG: testCluster().kubeconfig });
  });

  afterAll(async () => {
    await service?.dispose();
    await removeUnpackedCode();
  });

  it('deploys the Services with their code ConfigMaps and reports them ready with their URLs', async () => {
    const deploying = sls(['deploy']);
    await Promise.all([rollOut('hello'), rollOut('greet')]);
    const result = await deploying;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Applied 4 objects to .*: 4 changed, 0 unchanged, 0 pruned/);
    expect(result.output).toContain(`hello ready (1/1) http://hello.${namespace.name}.example.com`);
    expect(result.output).toContain(`greet ready (1/1) http://greet.${namespace.name}.example.com`);
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

  it('invokes the route URL directly when it is reachable from here (the proxy with --via-proxy)', async () => {
    const path = knativeServicePath(namespace.name, 'hello');
    const setUrl = (url: string) =>
      adminApi().expect('PATCH', `${path}/status`, {
        body: { status: { url } },
        contentType: 'application/merge-patch+json',
      });
    const route = podUrls.hello as string;
    await setUrl(route);
    try {
      const direct = await sls(['invoke', '-f', 'hello', '-d', '{"name":"Route"}', '--verbose']);
      expect(direct.code, direct.output).toBe(0);
      expect(JSON.parse(direct.stdout)).toEqual({ message: 'Hello, Route!' });
      expect(direct.output).toContain(`POST / → ${route}`);
      const proxied = await sls([
        'invoke',
        '-f',
        'hello',
        '-d',
        '{"name":"Proxy"}',
        '--verbose',
        '--via-proxy',
      ]);
      expect(proxied.code, proxied.output).toBe(0);
      expect(JSON.parse(proxied.stdout)).toEqual({ message: 'Hello, Proxy!' });
      expect(proxied.output).toContain(`-private:80 via`);
    } finally {
      await setUrl(`http://hello.${namespace.name}.example.com`);
    }
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

  it('describes URL, revisions and traffic', async () => {
    const result = await sls(['info']);
    expect(result.code, result.output).toBe(0);
    const hello = revisions.hello as string;
    expect(result.stdout).toContain(`url:       http://hello.${namespace.name}.example.com`);
    expect(result.stdout).toContain(`revisions: latest created ${hello}, latest ready ${hello}`);
    expect(result.stdout).toMatch(new RegExp(`${hello} \\(latest\\)\\s+100%`));
  });

  it('reports a failed revision with its reason and message, keeping the old one serving', async () => {
    const deploying = sls([
      'deploy',
      'function',
      '-f',
      'hello',
      '--param',
      'greeting=Bonjour',
      '--wait-timeout',
      '60s',
    ]);
    // The new template (new GREETING) gets a new revision, which Knative reports as failed.
    const previous = revisions.hello as string;
    await waitFor(
      'the new template of hello',
      async () => {
        const current = await waitForObject(knativeServicePath(namespace.name, 'hello'));
        const template = (current.spec as { template: { metadata: { name: string } } }).template;
        return template.metadata.name !== previous;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await markKnativeFailed(
      namespace.name,
      'hello',
      'RevisionFailed',
      'Revision "hello-new" failed with message: Container failed with: Error: connect ECONNREFUSED.',
    );
    const result = await deploying;
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/hello not ready .*RevisionFailed/);
    expect(result.output).toContain('Container failed with: Error: connect ECONNREFUSED.');
    // The previous revision still answers.
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
    expect((configMaps.items ?? []).map((item) => item.metadata?.name)).toEqual(['not-ours']);
  });
});
