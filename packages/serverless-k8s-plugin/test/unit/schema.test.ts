// The provider schema through the framework's own ConfigSchemaHandler (serverless 3.40): every
// fixture validates, typos and wrong types are reported by the framework.
import { describe, expect, it } from 'vitest';
import { providerSchema } from '../../src/config/schema.js';
import { useSchemaCache, validateWithFramework as validate } from './framework-schema.js';
import { SERVICE_FIXTURES, readFixture, type ServiceConfig } from './service-fixtures.js';

useSchemaCache();

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
