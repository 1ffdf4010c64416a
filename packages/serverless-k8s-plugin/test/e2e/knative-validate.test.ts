// Knative's own admission, as its webhook runs it on a create (knative-validate: SetDefaults and
// Validate of knative/serving v1.4.0 with the ConfigMaps it ships), against what the plugin renders:
// (a) every Knative golden manifest and (b) every Knative example, packaged by the real CLI, are
// admitted; (c) for each limit knativeRules enforces, the manifest the plugin would render without
// the rule is rejected with Knative's own message, the manifest at the bound is admitted, and the
// rule draws the line in the same place. The Eventing rules (Trigger filter attribute names,
// PingSource JSON data) are not here: knative-validate runs Serving's validation only.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageExample } from '../../../../examples/test-support/package-example.js';
import { normalize, type NormalizeInput } from '../../src/model/normalize.js';
import { renderKnative } from '../../src/providers/knative/manifests.js';
import { knativeRules } from '../../src/providers/knative/rules.js';
import { GOLDEN_DIR, RUNTIME_STUB, artifactsFor, toYaml } from '../unit/knative-fixtures.js';
import { FIXTURES_DIR, inputFrom } from '../unit/service-fixtures.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const cacheDir = process.env.SK8S_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'serverless-k8s');
const binary = path.join(cacheDir, 'bin', 'knative-validate');
const workDir = mkdtempSync(path.join(os.tmpdir(), 'sk8s-knative-validate-'));

beforeAll(() => {
  if (existsSync(binary)) return;
  const build = spawnSync(
    'bash',
    [path.join(repoRoot, 'scripts', 'build-upstream.sh'), 'knative-validate'],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (build.status !== 0)
    throw new Error(`scripts/build-upstream.sh knative-validate exited ${build.status}`);
}, 1_200_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Verdict {
  status: number | null;
  /** One `<Kind>/<name>: <message>` line per rejected object. */
  stdout: string;
}

function knativeValidate(files: string[], configDir?: string): Verdict {
  const args = configDir ? ['--config-dir', configDir, ...files] : files;
  const run = spawnSync(binary, args, { encoding: 'utf8' });
  if (run.status === 2) throw new Error(`knative-validate could not read its input: ${run.stderr}`);
  return { status: run.status, stdout: run.stdout };
}

let written = 0;
function writeTemp(text: string): string {
  const file = path.join(workDir, `manifest-${written++}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe('Knative admits every golden manifest', () => {
  const goldens = readdirSync(GOLDEN_DIR).filter((file) => file.endsWith('.yaml'));

  it('has golden manifests to check', () => expect(goldens.length).toBeGreaterThan(5));

  it.each(goldens)('%s', (file) => {
    expect(knativeValidate([path.join(GOLDEN_DIR, file)])).toEqual({ status: 0, stdout: '' });
  });
});

describe('Knative admits every Knative example as `serverless package` writes it', () => {
  const examplesDir = path.join(repoRoot, 'examples');
  const examples = readdirSync(examplesDir).flatMap((name) => {
    const file = path.join(examplesDir, name, 'serverless.yml');
    if (!existsSync(file)) return [];
    const config = yaml.load(readFileSync(file, 'utf8')) as {
      service: string;
      provider: string | { name: string };
    };
    const provider = typeof config.provider === 'string' ? config.provider : config.provider.name;
    return provider === 'knative' ? [[name, config.service] as const] : [];
  });

  it('has Knative examples to check', () => expect(examples.length).toBeGreaterThan(2));

  it.each(examples)(
    'examples/%s',
    async (name, service) => {
      const exampleDir = path.join(examplesDir, name);
      await packageExample(exampleDir);
      const manifests = path.join(exampleDir, '.serverless', `${service}-dev.yaml`);
      expect(knativeValidate([manifests])).toEqual({ status: 0, stdout: '' });
    },
    180_000,
  );
});

// kubeless-minimal/handler.ts exports `hello`.
const servicePath = path.join(FIXTURES_DIR, 'kubeless-minimal');
type Config = Record<string, unknown>;

function input(fn: Config, provider: Config, key: string): NormalizeInput {
  return inputFrom(
    {
      service: 'rules',
      provider: { name: 'knative', ...provider },
      functions: { [key]: { handler: 'handler.hello', ...fn } },
    },
    servicePath,
  );
}

/** What `package` would write for the function if knativeRules did not exist. */
function renderedWithoutRules(fn: Config, key = 'hello'): string {
  const model = normalize(input(fn, {}, key));
  return toYaml(renderKnative(model, artifactsFor(model.functions), RUNTIME_STUB));
}

/** The rule's verdict: the problems it reports (none: ''). */
function ruleProblems(fn: Config, provider: Config = {}, key = 'hello'): string {
  try {
    normalize(input(fn, provider, key), knativeRules);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

/** A config dir like the shipped one, with `data` in one of Knative's ConfigMaps. */
function knativeConfig(
  file: 'features.yaml' | 'autoscaler.yaml',
  data: Record<string, string>,
): string {
  const dir = mkdtempSync(path.join(workDir, 'config-'));
  for (const shipped of ['defaults.yaml', 'features.yaml', 'autoscaler.yaml'])
    copyFileSync(path.join(cacheDir, 'knative-config', shipped), path.join(dir, shipped));
  const name = file === 'features.yaml' ? 'config-features' : 'config-autoscaler';
  writeFileSync(
    path.join(dir, file),
    yaml.dump({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'knative-serving' },
      data,
    }),
  );
  return dir;
}

const secretMount = (mountPath: string, extra: Config = {}): Config => ({
  volumes: [{ name: 'data', secret: { secretName: 'data' } }],
  volumeMounts: [{ name: 'data', mountPath }],
  ...extra,
});
const volumeMount = (volume: Config): Config => ({
  volumes: [{ name: 'data', ...volume }],
  volumeMounts: [{ name: 'data', mountPath: '/data' }],
});

interface Limit {
  rule: string;
  /** The function config past the bound. */
  past: Config;
  /** What Knative answers for it, `<Kind>/<name>: <message>`. */
  knativeSays: string;
  /** The function config at the bound (or without the field), which Knative admits. */
  atBound: Config;
  key?: string;
}

const limits: Limit[] = [
  {
    rule: 'timeout',
    past: { timeout: 601 },
    knativeSays: 'Service/hello: expected 0 <= 601 <= 600: spec.template.spec.timeoutSeconds',
    atBound: { timeout: 600 },
  },
  {
    rule: 'concurrency',
    past: { concurrency: 1001 },
    knativeSays:
      'Service/hello: expected 0 <= 1001 <= 1000: spec.template.spec.containerConcurrency',
    atBound: { concurrency: 1000 },
  },
  {
    rule: 'autoscaling.window minimum',
    past: { autoscaling: { window: '5s' } },
    knativeSays:
      'Service/hello: expected 6s <= 5s <= 1h0m0s: spec.template.metadata.annotations.autoscaling.knative.dev/window',
    atBound: { autoscaling: { window: '6s' } },
  },
  {
    rule: 'autoscaling.window maximum',
    past: { autoscaling: { window: '1h0m1s' } },
    knativeSays:
      'expected 6s <= 1h0m1s <= 1h0m0s: spec.template.metadata.annotations.autoscaling.knative.dev/window',
    atBound: { autoscaling: { window: '1h' } },
  },
  {
    rule: 'autoscaling.window precision',
    past: { autoscaling: { window: '6500ms' } },
    knativeSays:
      'must be specified with at most second precision: spec.template.metadata.annotations.autoscaling.knative.dev/window',
    atBound: { autoscaling: { window: '7000ms' } },
  },
  {
    rule: 'autoscaling.scaleDownDelay maximum',
    past: { autoscaling: { scaleDownDelay: '61m' } },
    knativeSays:
      'expected 0s <= 61m <= 1h0m0s: spec.template.metadata.annotations.autoscaling.knative.dev/scale-down-delay',
    atBound: { autoscaling: { scaleDownDelay: '60m' } },
  },
  {
    rule: 'autoscaling.scaleDownDelay precision',
    past: { autoscaling: { scaleDownDelay: '1500ms' } },
    knativeSays:
      'must be specified with at most second precision: spec.template.metadata.annotations.autoscaling.knative.dev/scale-down-delay',
    atBound: { autoscaling: { scaleDownDelay: '0s' } },
  },
  {
    rule: 'autoscaling.initialScale',
    past: { autoscaling: { initialScale: 0 } },
    knativeSays:
      'invalid value: 0: spec.template.metadata.annotations.autoscaling.knative.dev/initial-scale=0 not allowed by cluster',
    atBound: { autoscaling: { initialScale: 1 } },
  },
  {
    rule: 'function name (DNS-1035)',
    key: '1hello',
    past: {},
    knativeSays:
      "Service/1hello: invalid value: not a DNS 1035 label: [a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character",
    atBound: { name: 'a1' },
  },
  {
    rule: 'reserved port',
    past: { port: 8012 },
    knativeSays:
      'invalid value: 8012 is a reserved port: spec.template.spec.containers[0].ports.containerPort',
    atBound: { port: 8011 },
  },
  {
    rule: 'reserved port (profiling)',
    past: { port: 8008 },
    knativeSays: 'invalid value: 8008 is a reserved port',
    atBound: { port: 8014 },
  },
  {
    rule: 'reserved mount path',
    past: secretMount('/var/log/'),
    knativeSays:
      'mountPath "/var/log" is a reserved path: spec.template.spec.containers[0].volumeMounts[1].mountPath',
    atBound: secretMount('/var/logs'),
  },
  {
    rule: 'reserved mount path of a secret',
    past: { secrets: ['tmp'] },
    knativeSays:
      'mountPath "/tmp" is a reserved path: spec.template.spec.containers[0].volumeMounts[1].mountPath',
    atBound: { secrets: ['tmp2'] },
  },
  {
    rule: 'reserved mount path of a configMap',
    past: { configMaps: ['var'] },
    knativeSays: 'mountPath "/var" is a reserved path',
    atBound: { configMaps: ['variables'] },
  },
  {
    rule: 'absolute mount path',
    past: secretMount('data'),
    knativeSays: 'invalid value: data: spec.template.spec.containers[0].volumeMounts[1].mountPath',
    atBound: secretMount('/data'),
  },
  {
    rule: 'unique mount path',
    past: secretMount('/db/', { secrets: ['db'] }),
    knativeSays:
      'invalid value: "/db/" must be unique: spec.template.spec.containers[0].volumeMounts[2].mountPath',
    atBound: secretMount('/db2', { secrets: ['db'] }),
  },
  {
    rule: 'mount over the code',
    past: secretMount('/var/run/sk8s'),
    knativeSays: 'invalid value: "/var/run/sk8s" must be unique',
    atBound: secretMount('/var/run/sk8s', { image: 'ghcr.io/acme/hello:1' }),
  },
  {
    rule: 'mount by the Kubeless volume name',
    past: { secrets: ['db'], volumeMounts: [{ name: 'db-vol', mountPath: '/etc/db' }] },
    knativeSays:
      'volumeMount has no matching volume: spec.template.spec.containers[0].volumeMounts[2].name',
    atBound: {
      volumes: [{ name: 'db-vol', secret: { secretName: 'db' } }],
      volumeMounts: [{ name: 'db-vol', mountPath: '/etc/db' }],
    },
  },
  {
    rule: 'every volume mounted',
    past: { volumes: [{ name: 'data', secret: { secretName: 'data' } }] },
    knativeSays: 'volume with name "data" not mounted: spec.template.spec.volumes[1].name',
    atBound: secretMount('/data'),
  },
  {
    rule: 'volume sources',
    past: volumeMount({ hostPath: { path: '/srv' } }),
    knativeSays: 'must not set the field(s): spec.template.spec.volumes[1].hostPath',
    atBound: volumeMount({ projected: { sources: [{ secret: { name: 'data' } }] } }),
  },
  {
    rule: 'one source per volume',
    past: volumeMount({ secret: { secretName: 'a' }, configMap: { name: 'b' } }),
    knativeSays:
      'expected exactly one, got both: spec.template.spec.volumes[1].configMap, spec.template.spec.volumes[1].secret',
    atBound: volumeMount({ configMap: { name: 'b' } }),
  },
  {
    rule: 'volume name (DNS-1123)',
    past: {
      volumes: [{ name: 'Data', secret: { secretName: 'data' } }],
      volumeMounts: [{ name: 'Data', mountPath: '/data' }],
    },
    knativeSays: 'invalid value: Data: spec.template.spec.volumes[1].name',
    atBound: {
      volumes: [{ name: 'data-1', secret: { secretName: 'data' } }],
      volumeMounts: [{ name: 'data-1', mountPath: '/data' }],
    },
  },
  {
    rule: 'unique volume names',
    past: {
      volumes: [
        { name: 'data', secret: { secretName: 'a' } },
        { name: 'data', secret: { secretName: 'b' } },
      ],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    },
    knativeSays: 'duplicate volume name "data": spec.template.spec.volumes[2].name',
    atBound: {
      volumes: [
        { name: 'data', secret: { secretName: 'a' } },
        { name: 'data2', secret: { secretName: 'b' } },
      ],
      volumeMounts: [
        { name: 'data', mountPath: '/data' },
        { name: 'data2', mountPath: '/data2' },
      ],
    },
  },
  {
    rule: 'customDomain fully qualified',
    past: { events: [{ http: { customDomain: 'hello' } }] },
    knativeSays: 'DomainMapping/hello: invalid name "hello"',
    atBound: { events: [{ http: { customDomain: 'hello.example' } }] },
  },
  {
    rule: 'customDomain outside the cluster domain',
    past: { events: [{ http: { customDomain: 'hello.default.svc.cluster.local' } }] },
    knativeSays: 'must not be a subdomain of cluster local domain "cluster.local": metadata.name',
    atBound: { events: [{ http: { customDomain: 'hello.cluster.local.example.com' } }] },
  },
  {
    rule: 'customDomain no wildcard',
    past: { events: [{ http: { customDomain: '*.example.com' } }] },
    knativeSays: 'DomainMapping/*.example.com: invalid name "*.example.com"',
    atBound: { events: [{ http: { customDomain: 'all.example.com' } }] },
  },
];

describe('Knative rejects what each rule rejects, and admits the bound', () => {
  it.each(limits.map((limit) => [limit.rule, limit] as const))('%s', (_rule, limit) => {
    const key = limit.key ?? 'hello';
    expect(knativeValidate([writeTemp(renderedWithoutRules(limit.past, key))]).stdout).toContain(
      limit.knativeSays,
    );
    expect(ruleProblems(limit.past, {}, key)).not.toBe('');
    expect(knativeValidate([writeTemp(renderedWithoutRules(limit.atBound, key))])).toEqual({
      status: 0,
      stdout: '',
    });
    expect(ruleProblems(limit.atBound, {}, key)).toBe('');
  });

  it('initialScale 0 is admitted where config-autoscaler allows it, as provider.allowZeroInitialScale says', () => {
    const fn = { autoscaling: { initialScale: 0 } };
    const config = knativeConfig('autoscaler.yaml', { 'allow-zero-initial-scale': 'true' });
    expect(knativeValidate([writeTemp(renderedWithoutRules(fn))], config)).toEqual({
      status: 0,
      stdout: '',
    });
    expect(ruleProblems(fn, { allowZeroInitialScale: true })).toBe('');
  });
});

interface Flagged {
  field: string;
  fn: Config;
  knativeSays: string[];
  /** config-features data that admits it: the flags the warning names. */
  features: Record<string, string>;
  /** A value of those flags that still does not admit it, when the warning asks for "enabled". */
  notEnough?: Record<string, string>;
}

const flagged: Flagged[] = [
  {
    field: 'env fieldRef',
    fn: { environment: { POD: { valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } } } },
    knativeSays: [
      'must not set the field(s): spec.template.spec.containers[0].env[3].valueFrom.fieldRef',
    ],
    features: { 'kubernetes.podspec-fieldref': 'allowed' },
  },
  {
    field: 'env resourceFieldRef',
    fn: {
      environment: [
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      ],
    },
    knativeSays: [
      'must not set the field(s): spec.template.spec.containers[0].env[3].valueFrom.resourceFieldRef',
    ],
    features: { 'kubernetes.podspec-fieldref': 'enabled' },
  },
  {
    field: 'emptyDir volume',
    fn: volumeMount({ emptyDir: {} }),
    knativeSays: ['EmptyDir volume support is disabled, but found EmptyDir volume data'],
    features: { 'kubernetes.podspec-volumes-emptydir': 'enabled' },
    notEnough: { 'kubernetes.podspec-volumes-emptydir': 'allowed' },
  },
  {
    field: 'persistentVolumeClaim volume',
    fn: volumeMount({ persistentVolumeClaim: { claimName: 'data' } }),
    knativeSays: [
      'Persistent volume claim support is disabled, but found persistent volume claim data',
      'Persistent volume write support is disabled, but found persistent volume claim data that is not read-only',
    ],
    features: {
      'kubernetes.podspec-persistent-volume-claim': 'enabled',
      'kubernetes.podspec-persistent-volume-write': 'enabled',
    },
    notEnough: { 'kubernetes.podspec-persistent-volume-claim': 'enabled' },
  },
  {
    field: 'affinity',
    fn: { affinity: { nodeAffinity: {} } },
    knativeSays: ['must not set the field(s): spec.template.spec.affinity'],
    features: { 'kubernetes.podspec-affinity': 'allowed' },
  },
  {
    field: 'tolerations',
    fn: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
    knativeSays: ['must not set the field(s): spec.template.spec.tolerations'],
    features: { 'kubernetes.podspec-tolerations': 'enabled' },
  },
  {
    field: 'nodeSelector',
    fn: { nodeSelector: { disktype: 'ssd' } },
    knativeSays: ['must not set the field(s): spec.template.spec.nodeSelector'],
    features: { 'kubernetes.podspec-nodeselector': 'enabled' },
  },
];

describe('Knative admits each warned-about field only with the flag the warning names', () => {
  it.each(flagged.map((entry) => [entry.field, entry] as const))('%s', (_field, entry) => {
    const file = writeTemp(renderedWithoutRules(entry.fn));
    const verdict = knativeValidate([file]);
    expect(verdict.status).toBe(1);
    for (const message of entry.knativeSays) expect(verdict.stdout).toContain(message);
    const warnings = normalize(input(entry.fn, {}, 'hello'), knativeRules).warnings.join('\n');
    for (const flag of Object.keys(entry.features)) expect(warnings).toContain(flag);
    expect(knativeValidate([file], knativeConfig('features.yaml', entry.features))).toEqual({
      status: 0,
      stdout: '',
    });
    if (entry.notEnough)
      expect(knativeValidate([file], knativeConfig('features.yaml', entry.notEnough)).status).toBe(
        1,
      );
  });
});
