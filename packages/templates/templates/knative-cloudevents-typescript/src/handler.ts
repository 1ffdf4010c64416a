import { HttpError, type Handler } from '@serverless-k8s/runtime';
import { CloudEvent } from 'cloudevents';

export interface Order {
  id: string;
  total: number;
}

/**
 * Receives `com.example.order.created` CloudEvents (binary or structured mode; the runtime puts
 * the event's data in `event.data` and the event itself in `event.extensions.cloudevent`) and
 * replies with a `com.example.order.accepted` CloudEvent, which the Broker routes onwards.
 */
export const orderCreated: Handler<Order, CloudEvent<{ orderId: string }>> = (event) => {
  const order = event.data;
  if (typeof order?.id !== 'string' || typeof order.total !== 'number') {
    throw new HttpError(400, 'expected order data {"id": string, "total": number}');
  }
  return new CloudEvent({
    type: 'com.example.order.accepted',
    source: 'my-function/order-created',
    subject: order.id,
    data: { orderId: order.id },
  });
};
