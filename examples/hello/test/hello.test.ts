import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { hello } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

describe('hello (kubeless)', () => {
  it('greets the name in the JSON body, or the world', async () => {
    const named = await invokeHandler(
      hello,
      { method: 'POST', body: { name: 'Ada' } },
      { env: { FUNC_HANDLER: 'hello' } },
    );
    expect(named.statusCode).toBe(200);
    expect(named.json()).toEqual({ message: 'Hello, Ada!', function: 'hello' });
    const anonymous = await invokeHandler(hello, { method: 'POST', body: {} });
    expect(anonymous.json()).toMatchObject({ message: 'Hello, world!' });
  });

  it('packages to a Kubeless Function and an HTTPTrigger on /hello', async () => {
    const manifests = await packageExample(exampleDir);
    const [fn] = ofKind(manifests, 'Function');
    expect(fn).toMatchObject({ apiVersion: 'kubeless.io/v1beta1', metadata: { name: 'hello' } });
    expect(fn?.spec).toMatchObject({ runtime: 'nodejs14', 'function-content-type': 'base64+zip' });
    expect(String(fn?.spec?.checksum)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [trigger] = ofKind(manifests, 'HTTPTrigger');
    expect(trigger?.spec).toMatchObject({ 'function-name': 'hello', path: 'hello' });
  }, 120_000);

  it('answers `serverless invoke local` from the packaged bundle', async () => {
    const output = await invokeLocal(exampleDir, 'hello', { name: 'Ada' });
    expect(output.json()).toEqual({ message: 'Hello, Ada!', function: 'hello' });
  }, 120_000);
});
