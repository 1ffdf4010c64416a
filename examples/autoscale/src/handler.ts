import { HttpError, type Handler } from '@serverless-k8s/runtime';

/** The longest a request may ask to be held: enough to pile up concurrency, short of the timeout. */
export const MAX_SLEEP_MS = 5_000;

export interface Work {
  sleptMs: number;
  /** The pod that answered (HOSTNAME): under load the answers come from several pods. */
  pod: string;
}

/**
 * `GET /?sleep=500` holds the request for 500 ms, like the Knative walkthrough's autoscale-go, so
 * that a load generator (e.g. `hey -z 30s -c 50`) builds up concurrency and the autoscaler adds
 * pods to keep about 10 requests in flight per pod.
 */
export const work: Handler<unknown, Work> = async (event, context) => {
  const query = new URL(event.extensions.request.url ?? '/', 'http://localhost').searchParams;
  const sleepMs = Number(query.get('sleep') ?? '100');
  if (!Number.isInteger(sleepMs) || sleepMs < 0 || sleepMs > MAX_SLEEP_MS) {
    throw new HttpError(400, `sleep must be whole milliseconds from 0 to ${MAX_SLEEP_MS}`);
  }
  // Stops early when the client goes away or the deadline passes.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, sleepMs);
    context.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { sleptMs: sleepMs, pod: process.env.HOSTNAME ?? 'local' };
};
