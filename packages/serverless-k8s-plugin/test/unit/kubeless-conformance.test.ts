// What Kubeless 1.0.8's controllers reject or mishandle, caught at package time (kubelessRules)
// or rendered the way they need it. Each case names the upstream code it follows; the e2e tests
// (test/e2e/kubeless.test.ts, test/e2e/examples.test.ts) run the same against the real controllers.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterClient, KubeObject } from '../../src/cluster/types.js';
import { normalize } from '../../src/model/normalize.js';
import type { ServiceModel } from '../../src/model/types.js';
import { kubelessProvider, writtenBackByController } from '../../src/providers/kubeless/index.js';
import { renderKubeless } from '../../src/providers/kubeless/manifests.js';
import { expectsRollout } from '../../src/providers/kubeless/status.js';
import { UserError } from '../../src/util/errors.js';
import type { FunctionArtifact } from '../../src/packaging/types.js';
import { FIXTURES_DIR, inputFrom } from './service-fixtures.js';

const artifact = (key: string): FunctionArtifact => ({
  functionKey: key,
  moduleFileName: `${key}.js`,
  zip: Buffer.from('zip'),
  checksum: 'sha256:0',
  deps: '',
  files: {},
  bundleDir: '',
});

// kubeless-minimal/handler.ts exports `hello`.
const servicePath = join(FIXTURES_DIR, 'kubeless-minimal');
type Config = Record<string, unknown>;

function model(functions: Record<string, Config>, provider: Config = {}): ServiceModel {
  return normalize(
    inputFrom(
      { service: 'conformance', provider: { name: 'kubeless', ...provider }, functions },
      servicePath,
    ),
    kubelessProvider.rules,
  );
}

const hello = (fn: Config) => ({ hello: { handler: 'handler.hello', ...fn } });

function problemsOf(functions: Record<string, Config>, provider: Config = {}): string {
  try {
    model(functions, provider);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('normalize accepted the configuration');
}

function render(m: ServiceModel, target = { apiServerHost: '203.0.113.7' }): KubeObject[] {
  const artifacts = new Map(m.functions.map((fn) => [fn.key, artifact(fn.key)]));
  return renderKubeless(m, artifacts, undefined, target);
}

const spec = (object: KubeObject | undefined) => (object?.spec ?? {}) as Record<string, unknown>;

describe('Kubeless conformance', () => {
  it('one schedule per function: cronjob-trigger names the CronJob trigger-<function> (kubelessutil.go:62)', () => {
    const message = problemsOf(
      hello({ events: [{ schedule: '*/5 * * * *' }, { schedule: '0 2 * * *' }] }),
    );
    expect(message).toContain(
      'functions.hello.events: has 2 schedule events (*/5 * * * *, 0 2 * * *)',
    );
    expect(message).toContain('one CronJob per function (trigger-hello)');
    // One schedule is fine, and its trigger is named so the controller deletes its CronJob.
    const objects = render(model(hello({ events: [{ schedule: '*/5 * * * *' }] })));
    expect(objects.find((o) => o.kind === 'CronJobTrigger')?.metadata.name).toBe('trigger-hello');
  });

  it('refuses a name: on a Kubeless schedule (cronjob_trigger_controller.go:222 deletes by the trigger name)', () => {
    expect(
      problemsOf(hello({ events: [{ schedule: { cron: '* * * * *', name: 'nightly' } }] })),
    ).toContain('functions.hello.events (nightly).name: is not used');
  });

  it("refuses a payload with ' (kubelessutil.go:73-81 pastes it into sh -c \"curl -d '…'\")", () => {
    const message = problemsOf(
      hello({ events: [{ schedule: { cron: '* * * * *', payload: { note: "it's" } } }] }),
    );
    expect(message).toContain(
      'functions.hello.events (hello-schedule-0).payload: contains a single quote',
    );
    expect(() =>
      model(hello({ events: [{ schedule: { cron: '* * * * *', payload: { note: 'fine' } } }] })),
    ).not.toThrow();
  });

  it('refuses a schedule when the Service port is not 8080 (kubelessutil.go:63 calls :8080)', () => {
    expect(problemsOf(hello({ servicePort: 9000, events: [{ schedule: '* * * * *' }] }))).toContain(
      "functions.hello.servicePort: is 9000, but Kubeless's CronJob always calls http://hello.<namespace>.svc.cluster.local:8080",
    );
    // The container port may differ: the Service maps 8080 to it.
    expect(() =>
      model(hello({ port: 9000, servicePort: 8080, events: [{ schedule: '* * * * *' }] })),
    ).not.toThrow();
  });

  it('refuses servicePort ≠ port with http events (http-trigger k8sutil.go:250: the Ingress backend is the targetPort)', () => {
    expect(problemsOf(hello({ port: 9000, servicePort: 80, events: [{ http: '/' }] }))).toContain(
      'functions.hello.servicePort: is 80 but port is 9000',
    );
  });

  it('refuses a port below 1024: Kubeless runs functions as uid 1000', () => {
    expect(problemsOf(hello({ port: 80 }))).toContain(
      'functions.hello.port: is 80: Kubeless runs functions as uid 1000',
    );
  });

  it('groups the same problem of several functions into one line', () => {
    const message = problemsOf({
      a: { handler: 'handler.hello', port: 80 },
      b: { handler: 'handler.hello', port: 80 },
    });
    expect(message).toContain('serverless.yml has a problem:');
    expect(message).toContain('functions.{a,b}.port: is 80');
  });

  it('always writes an HPA metric: function_controller.go:362 indexes Metrics[0]', () => {
    const objects = render(
      model(hello({ cpu: '100m', autoscaling: { minReplicas: 1, maxReplicas: 3 } })),
    );
    const hpa = spec(objects[0]).horizontalPodAutoscaler as { spec: { metrics: unknown[] } };
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', targetAverageUtilization: 80 } },
    ]);
  });

  it('a runtime change changes the pod template (functionObjChanged ignores spec.runtime, function_controller.go:440-469)', () => {
    const before = render(model(hello({ runtime: 'nodejs12' })))[0] as KubeObject;
    const after = render(model(hello({ runtime: 'nodejs14' })))[0] as KubeObject;
    expect(expectsRollout(before, after)).toBe(true);
  });

  it('puts the description where an update carries it: spec.deployment.metadata (kubelessutil.go:778)', () => {
    const fn = render(model(hello({ description: 'Says hello' })))[0];
    expect((spec(fn).deployment as { metadata: unknown }).metadata).toEqual({
      annotations: { 'serverless-k8s.io/description': 'Says hello' },
    });
  });

  it('gives the Service a selector only the function’s pods match, not the schedule’s Job pods', () => {
    const fn = render(model(hello({})))[0];
    expect((spec(fn).service as { selector: unknown }).selector).toEqual({
      'created-by': 'kubeless',
      function: 'hello',
      'serverless-k8s.io/function-pod': 'true',
    });
  });

  it('defaults the ingress host to <function>.<API server host>.nip.io as the Kubeless CLI does (k8sutil.go:273-280)', () => {
    const trigger = render(model(hello({ events: [{ http: '/hello' }] })))[1];
    expect(spec(trigger)['host-name']).toBe('hello.203.0.113.7.nip.io');
    // Without a kubeconfig: no host (the Ingress matches every host), and a warning says so.
    const warnings: string[] = [];
    const hostless = render(model(hello({ events: [{ http: '/hello' }] })), {
      warn: (w: string) => warnings.push(w),
    } as never)[1];
    expect(spec(hostless)['host-name']).toBeUndefined();
    expect(warnings.join()).toContain('functions.hello: no kubeconfig to take the API server');
  });

  it('takes fields over only from the controller that wrote the object back (it owns the kubeless.io finalizer)', () => {
    const live = (manager: string, finalizerManager: string): KubeObject => ({
      apiVersion: 'kubeless.io/v1beta1',
      kind: 'Function',
      metadata: {
        name: 'hello',
        finalizers: ['kubeless.io/function'],
        managedFields: [
          { manager: 'serverless-k8s', operation: 'Apply', fieldsV1: {} },
          { manager, operation: 'Update', fieldsV1: { 'f:spec': {} } },
          {
            manager: finalizerManager,
            operation: 'Update',
            fieldsV1: { 'f:metadata': { 'f:finalizers': {} } },
          },
        ],
      },
    });
    expect(
      writtenBackByController(live('kubeless-controller', 'kubeless-controller'), [
        'kubeless-controller',
      ]),
    ).toBe(true);
    expect(
      writtenBackByController(live('kubectl-edit', 'kubeless-controller'), ['kubectl-edit']),
    ).toBe(false);
  });
});

describe('Kubeless preflight: the Kubernetes APIs its controllers write with', () => {
  const served = (missing: string[]): ClusterClient =>
    ({
      clusterName: 'context "new" (server 10.0.0.1:6443)',
      hasKind: async (apiVersion: string, kind: string) =>
        !missing.includes(`${apiVersion}/${kind}`),
      get: async () => undefined,
    }) as unknown as ClusterClient;

  it('fails before applying when Ingress extensions/v1beta1 (gone in 1.22) is not served, for http events', async () => {
    const m = model(hello({ events: [{ http: '/' }] }));
    await expect(
      kubelessProvider.preflight(served(['extensions/v1beta1/Ingress']), m),
    ).rejects.toThrow(
      /http events .* used by hello: context "new" .* does not serve extensions\/v1beta1 Ingress \(removed in Kubernetes 1\.22\)/,
    );
  });

  it('and CronJob batch/v1beta1 and HPA autoscaling/v2beta1 (gone in 1.25), only when used', async () => {
    const m = model(
      hello({ cpu: '100m', autoscaling: { maxReplicas: 2 }, events: [{ schedule: '* * * * *' }] }),
    );
    const error = (await kubelessProvider
      .preflight(
        served(['batch/v1beta1/CronJob', 'autoscaling/v2beta1/HorizontalPodAutoscaler']),
        m,
      )
      .catch((e: Error) => e)) as Error;
    expect(error.message).toContain('batch/v1beta1 CronJob (removed in Kubernetes 1.25)');
    expect(error.message).toContain(
      'autoscaling/v2beta1 HorizontalPodAutoscaler (removed in Kubernetes 1.25)',
    );
    expect(error.message).toContain('nothing was applied');
    // A function with none of them is not bothered.
    await expect(
      kubelessProvider.preflight(
        served(['extensions/v1beta1/Ingress', 'batch/v1beta1/CronJob']),
        model(hello({})),
      ),
    ).resolves.toBeDefined();
  });
});
