// The environment `invoke local` and `serve` give a function: the FUNC_* set as Kubeless sets it
// (memory in bytes, as the Knative manifests carry it) and the function's own variables.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/model/normalize.js';
import { localRuntimeEnv, memoryLimitBytes, unresolvedEnv } from '../../src/model/runtime-env.js';
import { FIXTURES_DIR } from './service-fixtures.js';

function model(provider: 'kubeless' | 'knative', fn: Record<string, unknown> = {}) {
  return normalize({
    service: 'svc',
    stage: 'dev',
    servicePath: join(FIXTURES_DIR, 'kubeless-minimal'),
    provider: { name: provider },
    functions: { hello: { handler: 'handler.hello', ...fn } },
  });
}

describe('localRuntimeEnv', () => {
  it('sets the Kubeless variables, FUNC_MEMORY_LIMIT in bytes', () => {
    const m = model('kubeless', { memorySize: '128Mi', timeout: 30 });
    expect(localRuntimeEnv(m, m.functions[0]!, '/out/hello/hello.js', {})).toEqual({
      FUNC_HANDLER: 'hello',
      MOD_NAME: 'hello',
      FUNC_TIMEOUT: '30',
      FUNC_RUNTIME: 'nodejs14',
      FUNC_MEMORY_LIMIT: '134217728',
    });
  });

  it('adds K_SERVICE on Knative and the plain environment values, the shell winning', () => {
    const m = model('knative', {
      environment: { GREETING: 'Hello', COLOR: 'blue' },
    });
    const env = localRuntimeEnv(m, m.functions[0]!, '/out/hello/hello.js', { COLOR: 'red' });
    expect(env).toMatchObject({ K_SERVICE: 'hello', GREETING: 'Hello' });
    expect(env).not.toHaveProperty('COLOR');
    expect(env).not.toHaveProperty('FUNC_MEMORY_LIMIT');
  });
});

describe('unresolvedEnv', () => {
  it('names what only the cluster resolves, unless the shell provides it', () => {
    const m = model('kubeless', {
      environment: [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
        { name: 'URL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'url' } } },
        { name: 'PLAIN', value: 'x' },
      ],
      envFrom: [{ secretRef: { name: 'db' } }],
    });
    expect(unresolvedEnv(m.functions[0]!, { URL: 'http://127.0.0.1' })).toEqual([
      'TOKEN',
      '(all keys of Secret db)',
    ]);
  });
});

describe('memoryLimitBytes', () => {
  it('converts Kubernetes quantities to bytes', () => {
    expect(memoryLimitBytes('1Gi')).toBe('1073741824');
    expect(memoryLimitBytes('500M')).toBe('500000000');
  });
});
