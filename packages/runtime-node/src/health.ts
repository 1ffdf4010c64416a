import type { ServerResponse } from 'node:http';
import type { Metrics } from './metrics.js';

/** Lifecycle flags the probes report. */
export interface Lifecycle {
  /** init() resolved. */
  ready: boolean;
  /** SIGTERM received: finishing in-flight work, refusing readiness. */
  draining: boolean;
}

const TEXT = 'text/plain; charset=utf-8';
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.end(body);
}

/**
 * Answers the runtime's own GET endpoints; returns false for any other path so it reaches the
 * handler. `/healthz` and `/health/liveness` only say the process serves; readiness also needs
 * init() done and no drain in progress.
 */
export function answerRuntimeEndpoint(
  url: string,
  res: ServerResponse,
  lifecycle: Lifecycle,
  metrics: Metrics,
): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  switch (path) {
    case '/healthz':
    case '/health/liveness':
      reply(res, 200, TEXT, 'OK');
      return true;
    case '/health/readiness': {
      const ready = lifecycle.ready && !lifecycle.draining;
      reply(
        res,
        ready ? 200 : 503,
        TEXT,
        ready ? 'OK' : lifecycle.draining ? 'Draining' : 'Initializing',
      );
      return true;
    }
    case '/metrics':
      reply(res, 200, METRICS_TYPE, metrics.render());
      return true;
    default:
      return false;
  }
}
