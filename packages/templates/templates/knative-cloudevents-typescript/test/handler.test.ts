import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { orderCreated } from '../src/handler.js';

// invokeHandler runs the same request → event → response mapping as the deployed function.
const handler = orderCreated;

const orderEvent = (data: unknown) => ({
  method: 'POST',
  headers: {
    'ce-specversion': '1.0',
    'ce-id': 'order-1',
    'ce-type': 'com.example.order.created',
    'ce-source': '/shop',
    'content-type': 'application/json',
  },
  body: JSON.stringify(data),
});

describe('orderCreated', () => {
  it('replies with an order.accepted CloudEvent in binary mode', async () => {
    const result = await invokeHandler(handler, orderEvent({ id: 'A-17', total: 42 }));
    expect(result.statusCode).toBe(200);
    expect(result.headers['ce-type']).toBe('com.example.order.accepted');
    expect(result.headers['ce-subject']).toBe('A-17');
    expect(result.json()).toEqual({ orderId: 'A-17' });
  });

  it('answers 400 to an event without order data', async () => {
    const result = await invokeHandler(handler, orderEvent({ total: 1 }));
    expect(result.statusCode).toBe(400);
  });
});
