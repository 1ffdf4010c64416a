// End to end on Kubeless, with no controller of ours: the real `serverless` CLI with the built
// plugin against the test cluster of `test-cluster up --controllers`. Kubeless 1.0.8's function
// controller turns each Function into a Deployment, kube-controller-manager makes its ReplicaSet
// and Pod, kube-scheduler binds it, the node agent runs Kubeless's own runtime (kubeless.js on
// Node.js 14) on our bundle, and the endpoints controller puts it behind the Service; the
// http-trigger and cronjob-trigger controllers turn the triggers into an Ingress and a CronJob.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster, waitFor } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { copyService, type CliResult, type ServiceCopy } from './cli.js';

const namespace = useTestNamespace('e2e-kubeless');
let service: ServiceCopy;

function sls(args: string[]): Promise<CliResult> {
  return service.sls([...args, '--param', `namespace=${namespace.name}`], { timeoutMs: 240_000 });
}

async function names(path: string): Promise<string[]> {
  const list = await adminApi().expect('GET', path.replace('NS', namespace.name));
  return (list.items ?? [])
    .filter((item) => !item.metadata?.deletionTimestamp)
    .map((item) => item.metadata?.name ?? '')
    .sort();
}

const FUNCTIONS = '/apis/kubeless.io/v1beta1/namespaces/NS/functions';

describe('Kubeless end to end with the serverless CLI and Kubeless’s own controllers', () => {
  beforeAll(async () => {
    service = await copyService('e2e-kubeless', { KUBECONFIG: testCluster().kubeconfig });
  });

  afterAll(async () => {
    await service?.dispose();
  });

  it('refuses an unknown runtime, listing the valid ones, before applying anything', async () => {
    // A Node.js version the stock kubeless-config does not list.
    const result = await sls(['deploy', '--param', 'runtime=nodejs20']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'functions hello, greet, tick: runtime "nodejs20" is not available — did you mean "nodejs14"?',
    );
    // In the stock ConfigMap's order (runtimes.jsonnet of kubeless/runtimes @325e024).
    expect(result.output).toMatch(
      /Valid runtimes in cluster .*: ballerina0\.981\.0, dotnetcore2\.0, .*, go1\.13, go1\.14, java1\.8, java11, nodejs10, nodejs12, nodejs14, php7\.2, .*python3\.6/,
    );
    expect(await names(FUNCTIONS)).toEqual([]);
  });

  it('deploys, and the controllers make every function ready', async () => {
    const result = await sls(['deploy', '--wait-timeout', '180s']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Applied 5 objects to .*: 5 changed, 0 unchanged, 0 pruned/);
    expect(result.output).toMatch(/hello ready \(1\/1\)/);
    expect(result.output).toMatch(/greet ready \(1\/1\)/);
    expect(result.output).toMatch(/tick ready \(1\/1\)/);
    expect(await names(FUNCTIONS)).toEqual(['greet', 'hello', 'tick']);
    // What the function controller made of them (function_controller.go ensureK8sResources).
    expect(await names('/apis/apps/v1/namespaces/NS/deployments')).toEqual([
      'greet',
      'hello',
      'tick',
    ]);
    expect(await names('/api/v1/namespaces/NS/services')).toEqual(['greet', 'hello', 'tick']);
  });

  it('changes nothing on a second identical deploy', async () => {
    const result = await sls(['deploy']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/No changes: 5 objects already up to date/);
  });

  it('invokes Kubeless’s runtime through the API server proxy and prints what the handler returned', async () => {
    const result = await sls(['invoke', '-f', 'hello', '-d', '{"name":"Ada"}']);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello, Ada!' });
  });

  it("exits non-zero with the status and body of a handler's 500 (kubeless.js's plain-text body)", async () => {
    const result = await sls(['invoke', '-f', 'greet', '-d', '{}']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Function greet answered HTTP 500 Internal Server Error');
  });

  it('the http event becomes the http-trigger controller’s Ingress, on the Service’s port', async () => {
    const ingress = await waitFor(
      'the Ingress of hello-http-0',
      async () => {
        const resp = await adminApi().request(
          'GET',
          `/apis/extensions/v1beta1/namespaces/${namespace.name}/ingresses/hello-http-0`,
        );
        return resp.status === 200 ? resp.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const rule = (
      ingress.spec as {
        rules: {
          host: string;
          http: { paths: { path: string; backend: Record<string, unknown> }[] };
        }[];
      }
    ).rules[0];
    // http-trigger k8sutil.go:247-250: path "/" + spec.path, backend the Service's targetPort.
    expect(rule?.http.paths[0]?.path).toBe('/hello');
    expect(rule?.http.paths[0]?.backend).toEqual({ serviceName: 'hello', servicePort: 8080 });
  });

  it('the schedule becomes the cronjob-trigger controller’s CronJob, whose Job calls the handler', async () => {
    const cronJob = await adminApi().expect(
      'GET',
      `/apis/batch/v1beta1/namespaces/${namespace.name}/cronjobs/trigger-tick`,
    );
    expect((cronJob.spec as { schedule: string }).schedule).toBe('* * * * *');
    // The CronJob controller starts a Job within a minute; its curl reaches the function's Service.
    const seen = await waitFor(
      'a scheduled run in the logs of tick',
      async () => {
        const logs = await sls(['logs', '-f', 'tick']);
        return /tick from e2e-schedule/.test(logs.output) ? logs.output : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 5_000 },
    );
    expect(seen).toMatch(/tick from e2e-schedule at \d{4}-\d\d-\d\d/);
  });

  it('shows the logs of every pod of a function', async () => {
    const result = await sls(['logs', '-f', 'hello']);
    expect(result.code, result.output).toBe(0);
    // kubeless.js logs each request with morgan.
    expect(result.output).toMatch(/"POST \/ HTTP\/1\.1" 200/);
  });

  it('describes the deployed service', async () => {
    const result = await sls(['info']);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`namespace: ${namespace.name}`);
    expect(result.stdout).toMatch(
      /✔ hello\n\s+runtime:\s+nodejs14\n\s+handler:\s+hello\.hello\n\s+ready:\s+1\/1/,
    );
    expect(result.stdout).toMatch(/HTTPTrigger\s+hello-http-0\s+http:\/\/\S+\/hello/);
    expect(result.stdout).toMatch(/CronJobTrigger\s+trigger-tick\s+\* \* \* \* \*/);
  });

  it('reports a crash loop with the exit code and what the process printed', async () => {
    const result = await sls([
      'deploy',
      '--config',
      'serverless.crash.yml',
      '--wait-timeout',
      '120s',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/crash not ready \(0\/1\): .*CrashLoopBackOff/);
    expect(result.output).toContain('last exit code 1');
    expect(result.output).toContain('DATABASE_URL is not set');
    expect(result.output).toMatch(/Deploy failed: 1 of 1 function not ready/);
  });

  it('removes everything the service owns, and the controllers and the garbage collector the rest', async () => {
    const result = await sls(['remove']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Removed e2e-shop \(stage dev\): 5 objects deleted/);
    // The crash service (same namespace, another serverless service) is untouched.
    expect(await names(FUNCTIONS)).toEqual(['crash']);
    // Kubeless deletes Deployments through extensions/v1beta1, which 1.20 no longer serves: the
    // garbage collector removes them, their ReplicaSets and Pods, by their owner references.
    const leftovers = async () => {
      const [deployments, pods, ingresses, cronJobs] = await Promise.all([
        names('/apis/apps/v1/namespaces/NS/deployments'),
        names('/api/v1/namespaces/NS/pods'),
        names('/apis/extensions/v1beta1/namespaces/NS/ingresses'),
        names('/apis/batch/v1beta1/namespaces/NS/cronjobs'),
      ]);
      return {
        deployments,
        pods: pods.filter((pod) => !pod.startsWith('crash-')),
        ingresses,
        cronJobs,
      };
    };
    const expected = { deployments: ['crash'], pods: [], ingresses: [], cronJobs: [] };
    let last = await leftovers();
    for (
      let waited = 0;
      waited < 90_000 && JSON.stringify(last) !== JSON.stringify(expected);
      waited += 1_000
    ) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      last = await leftovers();
    }
    expect(last).toEqual(expected);
    const again = await sls(['remove']);
    expect(again.output).toMatch(/Nothing to remove: e2e-shop \(stage dev\) owns no objects/);
  });
});
