import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { greet } from '../src/handler.js';
import {
  invokeLocal,
  ofKind,
  packageExample,
  type Manifest,
} from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

async function service(params: Record<string, string>): Promise<Manifest> {
  const [rendered] = ofKind(await packageExample(exampleDir, params), 'Service');
  if (!rendered) throw new Error('no Knative Service rendered');
  return rendered;
}

describe('canary', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('greets with the configured greeting and names its revision', async () => {
    vi.stubEnv('GREETING', 'Bonjour');
    vi.stubEnv('K_REVISION', 'greeter-abc');
    const result = await invokeHandler(greet, { path: '/?name=Ada' });
    expect(result.json()).toEqual({ message: 'Bonjour, Ada!', revision: 'greeter-abc' });
  });

  it('greets with the GREETING from serverless.yml under `serverless invoke local`', async () => {
    const output = await invokeLocal(exampleDir, 'greeter', undefined, [
      '--http-path',
      '/?name=Ada',
    ]);
    expect(output.json()).toEqual({ message: 'Hello, Ada!', revision: 'local' });
  }, 120_000);

  it('walks 100 → 50/50 → 100 on the new revision', async () => {
    const v1 = await service({});
    expect(v1.spec?.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
    const v1Revision = (v1.spec?.template as { metadata: { name: string } }).metadata.name;
    expect(v1Revision).toMatch(/^greeter-[0-9a-f]+$/);

    // New code/config → a new revision name; traffic split half and half with the stable one.
    const split = await service({ step: 'split', stable: v1Revision, greeting: 'Bonjour' });
    const splitRevision = (split.spec?.template as { metadata: { name: string } }).metadata.name;
    expect(splitRevision).not.toBe(v1Revision);
    expect(split.spec?.traffic).toEqual([
      { revisionName: v1Revision, percent: 50, tag: 'stable' },
      { latestRevision: true, percent: 50, tag: 'canary' },
    ]);

    const promoted = await service({ greeting: 'Bonjour' });
    expect(promoted.spec?.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
    expect((promoted.spec?.template as { metadata: { name: string } }).metadata.name).toBe(
      splitRevision,
    );
  }, 120_000);
});
