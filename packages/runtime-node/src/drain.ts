// Graceful drain on SIGTERM: stop accepting, finish what is in flight, and close every kept-alive
// connection in a way no request sent on it is lost to a reset.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Lifecycle } from './health.js';
import type { Logger } from './types.js';

/** How long idle keep-alive connections stay open once a drain starts: a request a client sent just before still arrives and is answered. */
const IDLE_GRACE_MS = 1000;
const IDLE_SWEEP_MS = 50;

/**
 * Drains the runtime's server; it sees every request through track(). Node writes
 * `Connection: keep-alive` or `close` from `shouldKeepAlive` when it writes a response's head, so
 * from the drain on, the newest response on each connection (the runtime's, or one a handler
 * streams itself) says `close`: its client reconnects elsewhere rather than send another request
 * into a closing connection. An older response, with requests pipelined behind it, keeps the
 * connection for them.
 */
export class ServerDrain {
  private readonly newestResponse = new Map<Socket, ServerResponse>();
  /** What the drain overrode, for a response a pipelined request then followed. */
  private readonly keepAliveAsked = new WeakMap<ServerResponse, boolean>();

  constructor(
    private readonly server: Server,
    private readonly lifecycle: Lifecycle,
    private readonly log: Logger,
  ) {
    server.on('connection', (socket: Socket) =>
      socket.once('close', () => this.newestResponse.delete(socket)),
    );
  }

  /** Notes a request's response, in the order its connection delivers requests. */
  track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    if (this.lifecycle.draining) {
      const previous = this.newestResponse.get(socket);
      if (previous !== undefined) this.keepOpenAfter(previous);
      this.closeAfter(res);
    }
    this.newestResponse.set(socket, res);
  }

  private closeAfter(res: ServerResponse): void {
    if (res.headersSent) return;
    this.keepAliveAsked.set(res, res.shouldKeepAlive);
    res.shouldKeepAlive = false;
  }

  private keepOpenAfter(res: ServerResponse): void {
    const asked = this.keepAliveAsked.get(res);
    if (asked !== undefined && !res.headersSent) res.shouldKeepAlive = asked;
  }

  /**
   * Stops accepting connections, lets in-flight requests finish within `gracePeriodMs` (then cuts
   * them) and resolves once every connection is closed. Logs the handler calls in flight at the
   * start and the time the drain took.
   */
  async run(gracePeriodMs: number, inFlight: number): Promise<void> {
    const { server, log } = this;
    const started = performance.now();
    this.lifecycle.draining = true;
    for (const res of this.newestResponse.values()) this.closeAfter(res);
    log.info('Draining', { inFlight });
    // http.Server#close() would also destroy idle keep-alive connections at once, resetting a
    // request a client has just sent on one; net.Server#close() only stops accepting. (It leaves
    // Node's unref'd connection checker ticking on the closed server: nothing is left to check.)
    const closed = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(server, () => resolve()),
    );
    let sweep: NodeJS.Timeout | undefined;
    // After the grace moment a connection still idle has no request coming; close it, and any
    // that turn idle later (one whose response head went out before the drain started).
    const idleGrace = setTimeout(
      () => {
        server.closeIdleConnections();
        sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      },
      Math.min(IDLE_GRACE_MS, gracePeriodMs),
    );
    const deadline = setTimeout(() => {
      log.warn('Grace period over, closing connections with requests still running', {
        gracePeriodMs,
      });
      server.closeAllConnections();
    }, gracePeriodMs);
    try {
      await closed;
    } finally {
      clearTimeout(idleGrace);
      clearInterval(sweep);
      clearTimeout(deadline);
    }
    log.info('Drained', { inFlight, durationMs: Math.round(performance.now() - started) });
  }
}
