import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hello } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

describe('hello (knative)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('greets the name in the JSON body and names the revision', async () => {
    vi.stubEnv('K_REVISION', 'hello-00001');
    const result = await invokeHandler(hello, { method: 'POST', body: { name: 'Ada' } });
    expect(result.json()).toEqual({ message: 'Hello, Ada!', revision: 'hello-00001' });
    expect((await invokeHandler(hello, {})).json()).toMatchObject({
      message: 'Hello, world!',
    });
  });

  it('answers `serverless invoke local` from the packaged bundle', async () => {
    expect((await invokeLocal(exampleDir, 'hello', { name: 'Ada' })).json()).toEqual({
      message: 'Hello, Ada!',
      revision: 'local',
    });
  }, 120_000);

  it('packages to a Knative Service running the code from a ConfigMap', async () => {
    const manifests = await packageExample(exampleDir);
    const [service] = ofKind(manifests, 'Service');
    const [code] = ofKind(manifests, 'ConfigMap');
    expect(service).toMatchObject({
      apiVersion: 'serving.knative.dev/v1',
      metadata: { name: 'hello' },
    });
    expect(code?.binaryData).toBeDefined();
    // The code's ConfigMap is mounted into the revision, so new code means a new revision.
    expect(JSON.stringify(service?.spec)).toContain(code?.metadata.name);
  }, 120_000);
});
