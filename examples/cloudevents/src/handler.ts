import { HttpError, type Event, type Handler } from '@serverless-k8s/runtime';

export interface Order {
  id: string;
  total: number;
}

export interface Outcome {
  action: 'shipped' | 'refunded';
  order: string;
  /** The id of the CloudEvent that caused it (event-id = ce-id). */
  cause: string | undefined;
}

function order(event: Event<unknown>): Order {
  const data = event.data as Order;
  if (event.extensions.cloudevent === undefined) {
    throw new HttpError(400, 'expected a CloudEvent (binary or structured mode)');
  }
  if (typeof data?.id !== 'string' || typeof data.total !== 'number') {
    throw new HttpError(400, 'expected order data {"id": string, "total": number}');
  }
  return data;
}

/** `com.example.order.created` from `/shop` (the Trigger's filter): ship the order. */
export const ship: Handler<unknown, Outcome> = (event, context) => {
  const { id } = order(event);
  context.log.info('shipping', { order: id, type: event['event-type'] });
  return { action: 'shipped', order: id, cause: event['event-id'] };
};

/** `com.example.order.cancelled` from any source: refund the order. */
export const refund: Handler<unknown, Outcome> = (event, context) => {
  const { id, total } = order(event);
  context.log.info('refunding', { order: id, total });
  return { action: 'refunded', order: id, cause: event['event-id'] };
};
