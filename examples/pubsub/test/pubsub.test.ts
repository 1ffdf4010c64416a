import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { onAudit, onOrder } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

// What the Kubeless Kafka and NATS trigger controllers send with each message.
const fromController = (
  queue: 'kafka' | 'nats',
  body: unknown,
  contentType = 'application/json',
) => ({
  method: 'POST',
  headers: {
    'content-type': contentType,
    'event-id': `${queue}-msg-1`,
    'event-type': contentType,
    'event-namespace': `${queue}triggers.kubeless.io`,
  },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('pubsub', () => {
  it('counts the units of an order from Kafka', async () => {
    const order = {
      id: 'o-1',
      items: [
        { sku: 'tea', quantity: 2 },
        { sku: 'mug', quantity: 1 },
      ],
    };
    const result = await invokeHandler(onOrder, fromController('kafka', order));
    expect(result.json()).toEqual({
      via: 'kafkatriggers.kubeless.io',
      messageId: 'kafka-msg-1',
      order: 'o-1',
      units: 3,
    });
  });

  it('rejects a malformed order with 422', async () => {
    const result = await invokeHandler(
      onOrder,
      fromController('kafka', { id: 'o-2', items: [{ sku: 'tea' }] }),
    );
    expect(result.statusCode).toBe(422);
  });

  it('records a NATS message as text', async () => {
    const result = await invokeHandler(
      onAudit,
      fromController('nats', 'payment 42 settled', 'text/plain'),
    );
    expect(result.json()).toEqual({
      via: 'natstriggers.kubeless.io',
      messageId: 'nats-msg-1',
      entry: 'payment 42 settled',
    });
  });

  it('counts an order under `serverless invoke local`', async () => {
    const order = { id: 'o-3', items: [{ sku: 'tea', quantity: 4 }] };
    const invocation = await invokeLocal(exampleDir, 'orders', order);
    expect(invocation.stdout).toMatch(/^order o-3: 4 unit\(s\)$/m);
    expect(invocation.json()).toEqual({ via: 'http', order: 'o-3', units: 4 });
  }, 120_000);

  it('packages a KafkaTrigger and NATSTriggers selecting their functions', async () => {
    const manifests = await packageExample(exampleDir);
    expect(
      ofKind(manifests, 'Function')
        .map((fn) => fn.metadata.name)
        .sort(),
    ).toEqual(['audit', 'orders']);
    const kafka = ofKind(manifests, 'KafkaTrigger');
    expect(kafka).toHaveLength(1);
    expect(kafka[0]?.spec).toMatchObject({
      topic: 'orders',
      functionSelector: { matchLabels: expect.objectContaining({ function: 'orders' }) },
    });
    const nats = ofKind(manifests, 'NATSTrigger');
    expect(nats.map((trigger) => trigger.spec?.topic).sort()).toEqual([
      'audit.orders',
      'audit.payments',
    ]);
    for (const trigger of nats) {
      expect(trigger.spec).toMatchObject({
        functionSelector: { matchLabels: expect.objectContaining({ function: 'audit' }) },
      });
    }
  }, 120_000);
});
