import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { refund, ship } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

describe('cloudevents', () => {
  it('ships an order from a binary-mode CloudEvent', async () => {
    const result = await invokeHandler(ship, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'evt-1',
        'ce-type': 'com.example.order.created',
        'ce-source': '/shop',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ id: 'A-1', total: 30 }),
    });
    expect(result.json()).toEqual({ action: 'shipped', order: 'A-1', cause: 'evt-1' });
  });

  it('refunds an order from a structured-mode CloudEvent', async () => {
    const result = await invokeHandler(refund, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'evt-2',
        type: 'com.example.order.cancelled',
        source: '/support',
        data: { id: 'A-1', total: 30 },
      }),
    });
    expect(result.json()).toEqual({ action: 'refunded', order: 'A-1', cause: 'evt-2' });
  });

  it('answers 400 to a plain request and to an event without order data', async () => {
    expect(
      (await invokeHandler(ship, { method: 'POST', body: { id: 'A-1', total: 1 } })).statusCode,
    ).toBe(400);
    const noOrder = await invokeHandler(ship, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'e',
        'ce-type': 't',
        'ce-source': '/s',
        'content-type': 'application/json',
      },
      body: '{"total": 1}',
    });
    expect(noOrder.statusCode).toBe(400);
  });

  it('ships an order sent as a CloudEvent by `serverless invoke local`', async () => {
    const output = await invokeLocal(exampleDir, 'ship', { id: 'A-7', total: 12 }, [
      '--type',
      'com.example.order.created',
      '--source',
      '/shop',
    ]);
    expect(output.json()).toMatchObject({
      action: 'shipped',
      order: 'A-7',
      cause: expect.any(String),
    });
  }, 120_000);

  it('packages the Broker and one filtered Trigger per function', async () => {
    const manifests = await packageExample(exampleDir);
    expect(ofKind(manifests, 'Broker').map((broker) => broker.metadata.name)).toEqual(['orders']);
    const triggers = ofKind(manifests, 'Trigger');
    const bySubscriber = Object.fromEntries(
      triggers.map((trigger) => [
        JSON.stringify(trigger.spec?.subscriber).match(/"name":"(\w+)"/)?.[1],
        trigger.spec,
      ]),
    );
    expect(bySubscriber.ship).toMatchObject({
      broker: 'orders',
      filter: { attributes: { type: 'com.example.order.created', source: '/shop' } },
    });
    expect(bySubscriber.refund).toMatchObject({
      broker: 'orders',
      filter: { attributes: { type: 'com.example.order.cancelled' } },
    });
  }, 120_000);
});
