// Knative's webhook limits, checked by knativeRules on the model: each rule rejects a value past
// its bound with a message naming the key, the value and the bound, and accepts the bound itself.
// test/e2e/knative-validate.test.ts shows Knative itself rejects the same values.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/model/normalize.js';
import type { ServiceModel } from '../../src/model/types.js';
import { knativeProvider } from '../../src/providers/knative/index.js';
import { renderKnative } from '../../src/providers/knative/manifests.js';
import { knativeRules } from '../../src/providers/knative/rules.js';
import { UserError } from '../../src/util/errors.js';
import { RUNTIME_STUB, artifactsFor, byKind, fnModel, serviceModel } from './knative-fixtures.js';
import { FIXTURES_DIR, inputFrom } from './service-fixtures.js';

// kubeless-minimal/handler.ts exports `hello`.
const servicePath = join(FIXTURES_DIR, 'kubeless-minimal');

type Config = Record<string, unknown>;

function normalizeKnative(fn: Config, provider: Config = {}, key = 'hello'): ServiceModel {
  return normalize(
    inputFrom(
      {
        service: 'rules',
        provider: { name: 'knative', ...provider },
        functions: { [key]: { handler: 'handler.hello', ...fn } },
      },
      servicePath,
    ),
    knativeRules,
  );
}

function problemsOf(fn: Config, provider: Config = {}, key = 'hello'): string {
  try {
    normalizeKnative(fn, provider, key);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('normalize accepted the configuration');
}

const warningsOf = (fn: Config) => normalizeKnative(fn).warnings.join('\n');

const mounted = (volume: Config, mountPath = '/data') => ({
  volumes: [{ name: 'data', ...volume }],
  volumeMounts: [{ name: 'data', mountPath }],
});

function mountedAs(name: string): Config {
  return { volumes: [{ name, emptyDir: {} }], volumeMounts: [{ name, mountPath: '/data' }] };
}

describe('knativeRules', () => {
  it('is the Knative provider’s rules', () => {
    expect(knativeProvider.rules).toBe(knativeRules);
  });

  // [rule, config past the bound, what the message names, config at the bound]
  const cases: [string, () => string, string[], () => ServiceModel][] = [
    [
      'timeout ≤ max-revision-timeout-seconds',
      () => problemsOf({ timeout: 601 }),
      ['functions.hello.timeout:', 'is 601', '600 seconds', 'max-revision-timeout-seconds'],
      () => normalizeKnative({ timeout: 600 }),
    ],
    [
      'timeout from provider',
      () => problemsOf({}, { timeout: 900 }),
      ['functions.hello.timeout:', 'is 900', 'here or in provider'],
      () => normalizeKnative({}, { timeout: 600 }),
    ],
    [
      'concurrency ≤ container-concurrency-max-limit',
      () => problemsOf({ concurrency: 1001 }),
      [
        'functions.hello.concurrency:',
        'is 1001',
        'limit of 1000',
        'container-concurrency-max-limit',
      ],
      () => normalizeKnative({ concurrency: 1000 }),
    ],
    [
      'window ≥ 6s',
      () => problemsOf({ autoscaling: { window: '5s' } }),
      ['functions.hello.autoscaling.window:', 'is 5s', '6s to 1h'],
      () => normalizeKnative({ autoscaling: { window: '6s' } }),
    ],
    [
      'window ≤ 1h',
      () => problemsOf({ autoscaling: { window: '1h0m1s' } }),
      ['functions.hello.autoscaling.window:', 'is 1h0m1s', '6s to 1h'],
      () => normalizeKnative({ autoscaling: { window: '1h' } }),
    ],
    [
      'window in whole seconds',
      () => problemsOf({ autoscaling: { window: '6500ms' } }),
      ['functions.hello.autoscaling.window:', 'is 6500ms', 'second precision', 'e.g. 7s'],
      () => normalizeKnative({ autoscaling: { window: '1m30s' } }),
    ],
    [
      'window with a fraction of a second',
      () => problemsOf({ autoscaling: { window: '6.5s' } }),
      ['functions.hello.autoscaling.window:', 'is 6.5s', 'second precision'],
      () => normalizeKnative({ autoscaling: { window: '1.5m' } }),
    ],
    [
      'scaleDownDelay ≤ 1h',
      () => problemsOf({ autoscaling: { scaleDownDelay: '61m' } }),
      ['functions.hello.autoscaling.scaleDownDelay:', 'is 61m', '0s to 1h'],
      () => normalizeKnative({ autoscaling: { scaleDownDelay: '60m' } }),
    ],
    [
      'scaleDownDelay in whole seconds',
      () => problemsOf({ autoscaling: { scaleDownDelay: '1500ms' } }),
      ['functions.hello.autoscaling.scaleDownDelay:', 'is 1500ms', 'second precision'],
      () => normalizeKnative({ autoscaling: { scaleDownDelay: '0s' } }),
    ],
    [
      'initialScale ≥ 1',
      () => problemsOf({ autoscaling: { initialScale: 0 } }),
      [
        'functions.hello.autoscaling.initialScale:',
        'is 0',
        'initialScale to 1 or more',
        'allow-zero-initial-scale',
        'provider.allowZeroInitialScale: true',
      ],
      () => normalizeKnative({ autoscaling: { initialScale: 1 } }),
    ],
    [
      'initialScale 0 when the cluster allows it',
      () => problemsOf({ autoscaling: { initialScale: 0 } }, { allowZeroInitialScale: false }),
      ['functions.hello.autoscaling.initialScale:', 'is 0'],
      () => normalizeKnative({ autoscaling: { initialScale: 0 } }, { allowZeroInitialScale: true }),
    ],
    [
      'function key is a DNS-1035 label',
      () => problemsOf({}, {}, '1hello'),
      ['functions.1hello:', '"1hello"', 'start with a letter', 'DNS-1035', 'set name:'],
      () => normalizeKnative({}, {}, 'a1'),
    ],
    [
      'name: is a DNS-1035 label',
      () => problemsOf({ name: '2go' }),
      ['functions.hello.name:', '"2go"', 'start with a letter'],
      () => normalizeKnative({ name: 'go2' }),
    ],
    [
      'port not reserved by the queue-proxy',
      () => problemsOf({ port: 8012 }),
      ['functions.hello.port:', 'is 8012', '8012, 8013, 8022, 9090, 9091, 8008'],
      () => normalizeKnative({ port: 8011 }),
    ],
    [
      'profiling port',
      () => problemsOf({ port: 8008 }),
      ['functions.hello.port:', 'is 8008', 'queue-proxy'],
      () => normalizeKnative({ port: 8014 }),
    ],
    [
      'CloudEvent filter attribute names',
      () => problemsOf({ events: [{ cloudEvent: { filter: { attributes: { Type: 'a.b' } } } }] }),
      [
        'functions.hello.events (hello-cloudevent-0).filter.attributes.Type:',
        '"Type"',
        '^[a-z][a-z0-9]*$',
        'Did you mean type?',
      ],
      () =>
        normalizeKnative({ events: [{ cloudEvent: { filter: { attributes: { type1: 'a' } } } }] }),
    ],
    [
      'CloudEvent filter attribute with a dash',
      () => problemsOf({ events: [{ cloudEvent: { filter: { attributes: { 'my-ext': 'x' } } } }] }),
      ['filter.attributes.my-ext:', '"my-ext"', 'Did you mean myext?'],
      () =>
        normalizeKnative({ events: [{ cloudEvent: { filter: { attributes: { myext: 'x' } } } }] }),
    ],
    [
      'volumeMounts at a reserved path (after path normalisation)',
      () => problemsOf(mounted({ emptyDir: {} }, '/var/log/')),
      ['functions.hello.volumeMounts[0].mountPath:', 'mounts at /var/log/', '/var/log'],
      () => normalizeKnative(mounted({ emptyDir: {} }, '/var/logs')),
    ],
    [
      'volumeMounts at /tmp through ..',
      () => problemsOf(mounted({ emptyDir: {} }, '/scratch/../tmp')),
      ['functions.hello.volumeMounts[0].mountPath:', 'mounts at /scratch/../tmp', '/tmp'],
      () => normalizeKnative(mounted({ emptyDir: {} }, '/tmp/scratch')),
    ],
    [
      'a secret named like a reserved path',
      () => problemsOf({ secrets: ['tmp'] }),
      ['functions.hello.secrets[0]:', 'mounts at /tmp', '/, /dev, /dev/log, /tmp, /var, /var/log'],
      () => normalizeKnative({ secrets: ['tmp2'] }),
    ],
    [
      'a configMap named like a reserved path',
      () => problemsOf({ configMaps: ['var'] }),
      ['functions.hello.configMaps[0]:', 'mounts at /var', 'under volumes and volumeMounts'],
      () => normalizeKnative({ configMaps: ['variables'] }),
    ],
    [
      'relative mount path',
      () => problemsOf(mounted({ emptyDir: {} }, 'data')),
      ['functions.hello.volumeMounts[0].mountPath:', 'is data', 'absolute', '/data'],
      () => normalizeKnative(mounted({ emptyDir: {} }, '/data')),
    ],
    [
      'mount path used twice',
      () => problemsOf({ secrets: ['db'], ...mounted({ emptyDir: {} }, '/db/') }),
      [
        'functions.hello.volumeMounts[0].mountPath:',
        'mounts at /db/',
        'secret db is mounted already',
      ],
      () => normalizeKnative({ secrets: ['db'], ...mounted({ emptyDir: {} }, '/db2') }),
    ],
    [
      'mount over the code',
      () => problemsOf(mounted({ emptyDir: {} }, '/var/run/sk8s')),
      ['functions.hello.volumeMounts[0].mountPath:', "the function's code is mounted already"],
      () =>
        normalizeKnative({
          image: 'ghcr.io/acme/hello:1',
          ...mounted({ emptyDir: {} }, '/var/run/sk8s'),
        }),
    ],
    [
      'a mount of a secret by its Kubeless volume name',
      () =>
        problemsOf({ secrets: ['db'], volumeMounts: [{ name: 'db-vol', mountPath: '/etc/db' }] }),
      [
        'functions.hello.volumeMounts[0].name:',
        '"db-vol"',
        'Kubeless name',
        'mounted at /db already',
      ],
      () =>
        normalizeKnative({
          volumes: [{ name: 'db-vol', secret: { secretName: 'db' } }],
          volumeMounts: [{ name: 'db-vol', mountPath: '/etc/db' }],
        }),
    ],
    [
      'every volume is mounted',
      () => problemsOf({ volumes: [{ name: 'data', emptyDir: {} }] }),
      ['functions.hello.volumes[0]:', 'volume "data" is not mounted', 'volumeMounts'],
      () => normalizeKnative(mounted({ emptyDir: {} })),
    ],
    [
      'volume sources Knative admits',
      () => problemsOf(mounted({ hostPath: { path: '/srv' } })),
      [
        'functions.hello.volumes[0].hostPath:',
        'secret, configMap, projected, emptyDir, persistentVolumeClaim',
      ],
      () => normalizeKnative(mounted({ projected: { sources: [] } })),
    ],
    [
      'one source per volume',
      () => problemsOf(mounted({ secret: { secretName: 'a' }, configMap: { name: 'b' } })),
      ['functions.hello.volumes[0]:', 'the sources secret, configMap', 'exactly one'],
      () => normalizeKnative(mounted({ configMap: { name: 'b' } })),
    ],
    [
      'volume names are DNS-1123 labels',
      () => problemsOf(mountedAs('Data')),
      ['functions.hello.volumes[0].name:', '"Data"', 'DNS-1123'],
      () => normalizeKnative(mountedAs('data-1')),
    ],
    [
      'volume names are unique',
      () =>
        problemsOf({
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'data', secret: { secretName: 's' } },
          ],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        }),
      ['functions.hello.volumes[1].name:', '"data" names two volumes'],
      () =>
        normalizeKnative({
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'data2', secret: { secretName: 's' } },
          ],
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'data2', mountPath: '/data2' },
          ],
        }),
    ],
    [
      'customDomain is fully qualified',
      () => problemsOf({ events: [{ http: { customDomain: 'hello' } }] }),
      ['functions.hello.events (hello-http-0).customDomain:', '"hello"', 'at least two segments'],
      () => normalizeKnative({ events: [{ http: { customDomain: 'hello.example' } }] }),
    ],
    [
      'customDomain outside the cluster domain',
      () => problemsOf({ events: [{ http: { customDomain: 'hello.default.svc.cluster.local' } }] }),
      ['customDomain:', '"hello.default.svc.cluster.local"', 'cluster-local domain cluster.local'],
      () =>
        normalizeKnative({
          events: [{ http: { customDomain: 'hello.cluster.local.example.com' } }],
        }),
    ],
    [
      'customDomain is no wildcard',
      () => problemsOf({ events: [{ http: { customDomain: '*.example.com' } }] }),
      ['customDomain:', '"*.example.com"', 'wildcard'],
      () => normalizeKnative({ events: [{ http: { customDomain: 'all.example.com' } }] }),
    ],
    [
      'PingSource JSON data is an object',
      () => problemsOf({ events: [{ schedule: { cron: '* * * * *', payload: [1, 2] } }] }),
      ['functions.hello.events (hello-schedule-0).payload:', 'is a list', 'only as an object'],
      () =>
        normalizeKnative({
          events: [{ schedule: { cron: '* * * * *', payload: { items: [1, 2] } } }],
        }),
    ],
    [
      'PingSource payload number',
      () => problemsOf({ events: [{ schedule: { cron: '* * * * *', data: 5 } }] }),
      ['payload:', 'is the number 5', 'quote it'],
      () => normalizeKnative({ events: [{ schedule: { cron: '* * * * *', data: '5' } }] }),
    ],
  ];

  it.each(cases)(
    '%s: rejects past the bound, accepts the bound',
    (_rule, reject, parts, accept) => {
      const message = reject();
      for (const part of parts) expect(message).toContain(part);
      expect(accept().functions).toHaveLength(1);
    },
  );

  it('allowZeroInitialScale is Knative-only', () => {
    expect(() =>
      normalize(
        inputFrom(
          {
            service: 'rules',
            provider: { name: 'kubeless', allowZeroInitialScale: true },
            functions: { hello: { handler: 'handler.hello' } },
          },
          servicePath,
        ),
      ),
    ).toThrow('provider.allowZeroInitialScale: is only supported by provider knative; remove it');
  });

  it('a null payload is JSON that PingSource admits', () => {
    const model = normalizeKnative({ events: [{ schedule: { cron: '* * * * *', data: null } }] });
    expect(model.functions[0]!.events[0]).toMatchObject({ kind: 'schedule', payload: null });
  });

  it('reports every broken limit at once', () => {
    const message = problemsOf({ timeout: 601, concurrency: 1001, port: 9090 });
    expect(message).toContain('serverless.yml has 3 problems:');
  });
});

describe('knativeRules warnings: fields behind config-features flags', () => {
  const warningCases: [string, Config, string[], Config][] = [
    [
      'env fieldRef',
      { environment: { POD: { valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } } } },
      [
        'functions.hello.environment.POD.valueFrom.fieldRef:',
        'kubernetes.podspec-fieldref',
        'config-features',
        'knative-serving',
      ],
      { environment: { DB: { valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } } } },
    ],
    [
      'env resourceFieldRef',
      {
        environment: [
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
        ],
      },
      [
        'functions.hello.environment.MEM.valueFrom.resourceFieldRef:',
        'kubernetes.podspec-fieldref',
      ],
      { environment: [{ name: 'MEM', value: '1' }] },
    ],
    [
      'emptyDir volume',
      mounted({ emptyDir: {} }),
      [
        'functions.hello.volumes[0].emptyDir:',
        'kubernetes.podspec-volumes-emptydir is enabled',
        'config-features',
      ],
      mounted({ secret: { secretName: 'data' } }),
    ],
    [
      'persistentVolumeClaim volume',
      mounted({ persistentVolumeClaim: { claimName: 'data' } }),
      [
        'functions.hello.volumes[0].persistentVolumeClaim:',
        'kubernetes.podspec-persistent-volume-claim',
        'kubernetes.podspec-persistent-volume-write',
      ],
      mounted({ configMap: { name: 'data' } }),
    ],
    [
      'affinity, tolerations, nodeSelector',
      {
        affinity: { nodeAffinity: {} },
        tolerations: [{ key: 'k', operator: 'Exists' }],
        nodeSelector: { disk: 'ssd' },
      },
      [
        'functions.hello.affinity:',
        'kubernetes.podspec-affinity',
        'functions.hello.tolerations:',
        'kubernetes.podspec-tolerations',
        'functions.hello.nodeSelector:',
        'kubernetes.podspec-nodeselector',
      ],
      {},
    ],
  ];

  it.each(warningCases)('%s: a warning, not an error', (_field, flagged, parts, plain) => {
    const warnings = warningsOf(flagged);
    for (const part of parts) expect(warnings).toContain(part);
    expect(warningsOf(plain)).toBe('');
  });

  it('a read-only claim needs only the claim flag', () => {
    const warnings = warningsOf(
      mounted({ persistentVolumeClaim: { claimName: 'data', readOnly: true } }),
    );
    expect(warnings).toContain('kubernetes.podspec-persistent-volume-claim');
    expect(warnings).not.toContain('kubernetes.podspec-persistent-volume-write');
  });
});

describe('PingSource data', () => {
  function pingSpec(payload: unknown) {
    const fn = fnModel({
      events: [{ kind: 'schedule', name: 'tick', cron: '* * * * *', payload }],
    });
    const [source] = byKind(
      renderKnative(serviceModel([fn]), artifactsFor([fn]), RUNTIME_STUB),
      'PingSource',
    );
    const spec = source!.spec as Record<string, unknown>;
    return { contentType: spec.contentType, data: spec.data };
  }

  it.each([
    [
      'a JSON object string, as written',
      '{ "job": "report" }',
      'application/json',
      '{ "job": "report" }',
    ],
    ['a map, as JSON', { job: 'report' }, 'application/json', '{"job":"report"}'],
    // PingSource's webhook takes application/json data only if it unmarshals into an object.
    ['a JSON array string', '[1, 2]', 'text/plain', '[1, 2]'],
    ['a JSON string literal', '"ping"', 'text/plain', '"ping"'],
    ['text', 'ping', 'text/plain', 'ping'],
    ['text that starts like JSON', '{ not json', 'text/plain', '{ not json'],
  ])('%s', (_what, payload, contentType, data) => {
    expect(pingSpec(payload)).toEqual({ contentType, data });
  });

  it('no payload, no data', () => {
    expect(pingSpec(undefined)).toEqual({ contentType: undefined, data: undefined });
  });
});
