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
export const onOrder: Handler<unknown, Delivery & { order: string; units: number }> = (event) => {
  if (!isOrder(event.data)) {
    // 422 under @serverless-k8s/runtime; Kubeless's own runtime answers any thrown error with 500.
    throw new HttpError(
      422,
      'expected {"id": string, "items": [{"sku": string, "quantity": integer}]}',
    );
  }
  const units = event.data.items.reduce((sum, item) => sum + item.quantity, 0);
  // Kubeless's runtime has no context.log: stdout is the pod's log.
  console.log(`order ${event.data.id}: ${units} unit(s)`);
  return { ...delivery(event), order: event.data.id, units };
};

/** A NATS message on `audit.*`: any payload, recorded as text. */
export const onAudit: Handler<unknown, Delivery & { entry: string }> = (event) => {
  const entry = typeof event.data === 'string' ? event.data : JSON.stringify(event.data ?? null);
  console.log(`audit entry: ${entry}`);
  return { ...delivery(event), entry };
};
