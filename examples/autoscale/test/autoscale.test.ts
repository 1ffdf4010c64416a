import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { work } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

describe('autoscale', () => {
  it('holds the request for the time asked', async () => {
    const started = Date.now();
    const result = await invokeHandler(work, { path: '/?sleep=200' });
    expect(result.json()).toMatchObject({ sleptMs: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('answers 400 for a sleep out of range', async () => {
    expect((await invokeHandler(work, { path: '/?sleep=60000' })).statusCode).toBe(400);
    expect((await invokeHandler(work, { path: '/?sleep=soon' })).statusCode).toBe(400);
  });

  it('holds the request under `serverless invoke local`', async () => {
    const output = await invokeLocal(exampleDir, 'sleepy', undefined, [
      '--http-path',
      '/?sleep=50',
    ]);
    expect(output.json()).toMatchObject({ sleptMs: 50 });
  }, 120_000);

  it('packages a Service whose revisions target 10 concurrent requests', async () => {
    const [service] = ofKind(await packageExample(exampleDir), 'Service');
    const template = service?.spec?.template as {
      metadata: { annotations: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(template.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/metric': 'concurrency',
      'autoscaling.knative.dev/target': '10',
      'autoscaling.knative.dev/min-scale': '0',
      'autoscaling.knative.dev/max-scale': '10',
      'autoscaling.knative.dev/scale-down-delay': '30s',
    });
    expect(template.spec.containerConcurrency).toBe(0);
  }, 120_000);
});
