// Loads serverless.yml fixtures the way the framework hands them to the plugin, and compares
// rendered output with committed golden files (UPDATE_GOLDEN=1 rewrites them).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { expect } from 'vitest';
import { normalize, type NormalizeInput } from '../../src/model/normalize.js';
import type { ServiceModel } from '../../src/model/types.js';
import { knativeProvider } from '../../src/providers/knative/index.js';
import { kubelessProvider } from '../../src/providers/kubeless/index.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));

/** Fixtures rendered by the Kubeless provider (golden manifests under golden/kubeless/). */
export const KUBELESS_FIXTURES = [
  'kubeless-minimal',
  'kubeless-full',
  'sk-python-http',
  'sk-cert-manager',
  'sk-docs-options',
  'sk-events',
];
/** Every serverless.yml fixture of the model and packaging tests. */
export const SERVICE_FIXTURES = [...KUBELESS_FIXTURES, 'knative-model'];

export type ServiceConfig = Record<string, unknown> & {
  service: string | { name: string };
  provider: string | Record<string, unknown>;
  functions?: Record<string, unknown>;
  package?: { individually?: boolean };
};

/** What the plugin passes to normalize() for a parsed serverless.yml (framework shorthands expanded). */
export function inputFrom(
  config: ServiceConfig,
  servicePath: string,
  stage = 'dev',
): NormalizeInput {
  const service = typeof config.service === 'string' ? config.service : config.service.name;
  const provider: Record<string, unknown> =
    typeof config.provider === 'string' ? { name: config.provider } : { ...config.provider };
  return {
    service,
    stage: typeof provider.stage === 'string' ? provider.stage : stage,
    servicePath,
    provider,
    functions: config.functions ?? {},
    package: config.package,
  };
}

export function readFixture(name: string): ServiceConfig {
  return yaml.load(
    readFileSync(join(FIXTURES_DIR, name, 'serverless.yml'), 'utf8'),
  ) as ServiceConfig;
}

/** A fixture as the plugin normalizes it: with its platform's rules. */
export function normalizeFixture(name: string): ServiceModel {
  const input = inputFrom(readFixture(name), join(FIXTURES_DIR, name));
  const rules = input.provider.name === 'knative' ? knativeProvider.rules : kubelessProvider.rules;
  return normalize(input, rules);
}

export function expectGolden(relativePath: string, actual: string): void {
  const file = join(GOLDEN_DIR, relativePath);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file))
    throw new Error(
      `golden/${relativePath} is missing; run the tests with UPDATE_GOLDEN=1 and review it`,
    );
  expect(actual, `differs from golden/${relativePath} (UPDATE_GOLDEN=1 to accept)`).toBe(
    readFileSync(file, 'utf8'),
  );
}
