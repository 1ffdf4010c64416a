// Models and artifacts built directly (not through normalize) so the Knative tests pin the
// provider's own mapping; golden files live under golden/knative/.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { expect } from 'vitest';
import type { KubeObject } from '../../src/cluster/types.js';
import { LABELS, MANAGER, type FunctionModel, type ServiceModel } from '../../src/model/types.js';
import type { FunctionArtifact } from '../../src/packaging/types.js';
import { kubelessFunction } from './kubeless-fixtures.js';

export const GOLDEN_DIR = join(__dirname, 'golden', 'knative');

/** Stands in for the esbuild-bundled runtime: golden files should not change when the runtime does. */
export const RUNTIME_STUB = Buffer.from('/* @serverless-k8s/runtime bundle (test stub) */\n');

/** A function with every golden-relevant field pinned here (the shared builder supplies empty lists). */
export function fnModel(overrides: Partial<FunctionModel> = {}): FunctionModel {
  return kubelessFunction('hello', {
    namespace: 'shop-dev',
    handler: { raw: 'src/handler.hello', file: 'src/handler.ts', exportName: 'hello' },
    runtime: 'nodejs20',
    timeout: 30,
    port: 8080,
    ...overrides,
  });
}

export function serviceModel(
  functions: FunctionModel[],
  overrides: Partial<ServiceModel> = {},
): ServiceModel {
  return {
    provider: 'knative',
    service: 'shop',
    stage: 'dev',
    servicePath: '/srv/shop',
    namespace: 'shop-dev',
    ingress: { additionalAnnotations: {} },
    nodeImage: 'node:20-alpine',
    createBroker: false,
    individually: false,
    commonLabels: { [LABELS.managedBy]: MANAGER, [LABELS.service]: 'shop', [LABELS.stage]: 'dev' },
    functions,
    warnings: [],
    ...overrides,
  };
}

/** Shaped like packageFunctions' output: `<name>.js` and its source map. */
export function artifactFor(
  fn: FunctionModel,
  code = `exports.${fn.handler?.exportName ?? 'handler'} = async () => 'hi';\n`,
): FunctionArtifact {
  const moduleFileName = `${fn.name}.js`;
  const files = {
    [moduleFileName]: Buffer.from(code),
    [`${moduleFileName}.map`]: Buffer.from('{"version":3,"sources":[],"mappings":""}'),
  };
  return {
    functionKey: fn.key,
    moduleFileName,
    zip: Buffer.alloc(0),
    checksum: 'sha256:0',
    deps: '',
    files,
  };
}

export function artifactsFor(functions: FunctionModel[]): Map<string, FunctionArtifact> {
  return new Map(functions.map((fn) => [fn.key, artifactFor(fn)]));
}

export function toYaml(objects: KubeObject[]): string {
  return objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: 120 })).join('---\n');
}

/** Compares with golden/knative/<name>.yaml; UPDATE_GOLDEN=1 rewrites it. */
export function expectGolden(name: string, objects: KubeObject[]): void {
  const file = join(GOLDEN_DIR, `${name}.yaml`);
  const actual = toYaml(objects);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file))
    throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

export function byKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function kservice(
  objects: KubeObject[],
): KubeObject & { spec: { template: { metadata: { name: string } } } } {
  const service = objects.find((o) => o.kind === 'Service');
  if (!service) throw new Error('no Knative Service rendered');
  return service as KubeObject & { spec: { template: { metadata: { name: string } } } };
}
