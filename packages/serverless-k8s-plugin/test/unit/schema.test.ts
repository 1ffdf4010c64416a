// The provider schema through the framework's own ConfigSchemaHandler (serverless 3.40): every
// fixture validates, typos and wrong types are reported by the framework.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerSchema } from '../../src/config/schema.js';
import { SERVICE_FIXTURES, readFixture, type ServiceConfig } from './service-fixtures.js';

interface SchemaHandler {
  defineProvider(name: string, options: Record<string, unknown>): void;
  validateConfig(config: unknown): Promise<void>;
}

const require = createRequire(import.meta.url);
const ConfigSchemaHandler = require('serverless/lib/classes/config-schema-handler') as new (
  serverless: unknown,
) => SchemaHandler;

let cacheDir: string;
beforeAll(() => {
  // The framework caches compiled validators under this directory.
  cacheDir = mkdtempSync(join(tmpdir(), 'sk8s-schema-'));
  process.env.SLS_SCHEMA_CACHE_BASE_DIR = cacheDir;
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

async function validate(config: ServiceConfig): Promise<void> {
  const provider =
    typeof config.provider === 'string' ? { name: config.provider } : config.provider;
  const name = provider.name as 'kubeless' | 'knative';
  const serverless = {
    service: { provider: { name }, configValidationMode: 'error' },
    configurationInput: config,
  };
  const handler = new ConfigSchemaHandler(serverless);
  handler.defineProvider(name, providerSchema(name));
  await handler.validateConfig(structuredClone({ ...config, provider }));
}

describe('providerSchema', () => {
  it.each(SERVICE_FIXTURES)('accepts fixture %s', async (fixture) => {
    await expect(validate(readFixture(fixture))).resolves.toBeUndefined();
  });

  const invalid: [string, ServiceConfig, string][] = [
    [
      'a typo in a function key',
      {
        service: 'svc',
        provider: { name: 'kubeless' },
        functions: { f: { handler: 'h.f', memmorySize: 128 } },
      },
      "unrecognized property 'memmorySize'",
    ],
    [
      'a typo in a provider key',
      { service: 'svc', provider: { name: 'kubeless', namepsace: 'x' } },
      "unrecognized property 'namepsace'",
    ],
    [
      'a typo in ingress',
      { service: 'svc', provider: { name: 'kubeless', ingress: { clas: 'nginx' } } },
      "unrecognized property 'clas'",
    ],
    [
      'a wrong type',
      {
        service: 'svc',
        provider: { name: 'kubeless' },
        functions: { f: { handler: 'h.f', memorySize: { size: 1 } } },
      },
      'memorySize',
    ],
    [
      'an unknown event key',
      {
        service: 'svc',
        provider: { name: 'kubeless' },
        functions: { f: { handler: 'h.f', events: [{ http: { paht: '/x' } }] } },
      },
      'events',
    ],
    [
      'an unknown event type',
      {
        service: 'svc',
        provider: { name: 'knative' },
        functions: { f: { handler: 'h.f', events: [{ sqs: 'q' }] } },
      },
      'events',
    ],
    [
      'a bad autoscaling key',
      {
        service: 'svc',
        provider: { name: 'knative' },
        functions: { f: { handler: 'h.f', autoscaling: { max: 3 } } },
      },
      "unrecognized property 'max'",
    ],
  ];
  it.each(invalid)('rejects %s', async (_title, config, expected) => {
    await expect(validate(config)).rejects.toThrow(expected);
  });

  it('does not redefine keys the framework already owns', () => {
    const schema = providerSchema('kubeless');
    expect(Object.keys(schema.provider.properties)).not.toContain('name');
    expect(Object.keys(schema.function.properties)).not.toEqual(expect.arrayContaining(['name']));
    expect(Object.keys(schema.function.properties)).not.toContain('events');
  });
});
