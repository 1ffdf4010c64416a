import { HttpError, type Event, type Handler } from '@serverless-k8s/runtime';

export interface OrderMessage {
  id: string;
  items: { sku: string; quantity: number }[];
}

export interface Delivery {
  /** `kafkatriggers.kubeless.io` or `natstriggers.kubeless.io`: which controller delivered it. */
  via: string;
  messageId: string | undefined;
}

function delivery(event: Event<unknown>): Delivery {
  return { via: event['event-namespace'] ?? 'http', messageId: event['event-id'] };
}

function isOrder(value: unknown): value is OrderMessage {
  const order = value as OrderMessage;
  return (
    typeof order?.id === 'string' &&
    Array.isArray(order.items) &&
    order.items.every((item) => typeof item?.sku === 'string' && Number.isInteger(item.quantity))
  );
}

/** A Kafka message on `orders` (JSON): counts the units ordered. */
export const onOrder: Handler<unknown, Delivery & { order: string; units: number }> = (
  event,
  context,
) => {
  if (!isOrder(event.data)) {
    // A 4xx tells the trigger controller the message itself is bad (no point in retrying it).
    throw new HttpError(
      422,
      'expected {"id": string, "items": [{"sku": string, "quantity": integer}]}',
    );
  }
  const units = event.data.items.reduce((sum, item) => sum + item.quantity, 0);
  context.log.info('order received', { order: event.data.id, units });
  return { ...delivery(event), order: event.data.id, units };
};

/** A NATS message on `audit.*`: any payload, recorded as text. */
export const onAudit: Handler<unknown, Delivery & { entry: string }> = (event, context) => {
  const entry = typeof event.data === 'string' ? event.data : JSON.stringify(event.data ?? null);
  context.log.info('audit entry', { entry });
  return { ...delivery(event), entry };
};
