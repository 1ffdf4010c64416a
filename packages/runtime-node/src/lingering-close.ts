// Closing a connection while the request's body is still arriving (a 413) makes the kernel reset
// it, and the reset often destroys the answer before the client has read it. So close the way
// nginx and Apache linger: send the answer, half-close, and discard what still arrives for a
// bounded time and size before closing.
import type { ServerResponse } from 'node:http';

const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/** Sends `body` as the whole response (status and headers already set) and closes without a reset. */
export function endLingering(res: ServerResponse, body: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.shouldKeepAlive = false; // Connection: close: the rest of the body must not be read as a request
  const socket = res.socket;
  if (socket === null) {
    // Queued behind a pipelined response: Node sends it, and closes, after that one.
    res.end(body);
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(body));
  // The head, then the body (Node drops the body of a HEAD response) make the complete response,
  // its length declared; end() is never called, since Node destroys the socket as soon as an
  // ended `Connection: close` response is out.
  res.flushHeaders();
  res.write(body);
  socket.end();
  const destroy = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(destroy, LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  const req = res.req;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) destroy();
  });
  // All of it arrived: nothing is left unread, so closing now cannot reset the connection.
  req.once('end', () => {
    if (socket.writableFinished) destroy();
    else socket.once('finish', destroy);
  });
  req.resume();
}
