// A keep-alive HTTP/1.1 client for the drain soak. It sends one request after another on a
// connection, reconnects after a `Connection: close`, and stops once a connection is refused
// (the server stopped listening). It counts every request it put on the wire and what became of
// it, which autocannon cannot tell apart (a reset, an empty reply, a refused reconnect).
import { connect } from 'node:net';

/**
 * @param {{ port: number, request: Buffer, stopped: () => boolean }} options
 * @returns {Promise<{ sent: number, answered: number, non2xx: number, resets: number,
 *   emptyReplies: number, connections: number }>}
 */
export async function keepAliveClient({ port, request, stopped }) {
  const counts = { sent: 0, answered: 0, non2xx: 0, resets: 0, emptyReplies: 0, connections: 0 };
  while (!stopped()) {
    const outcome = await oneConnection(port, request, stopped, counts);
    if (outcome === 'refused') break;
  }
  return counts;
}

/** Sends requests on one connection until it closes; 'refused' when it never opened. */
function oneConnection(port, request, stopped, counts) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let opened = false;
    let outstanding = false;
    let closing = false;
    let received = Buffer.alloc(0);
    let errorCode;
    const send = () => {
      if (stopped() || closing) return;
      outstanding = true;
      counts.sent++;
      socket.write(request);
    };
    socket.setNoDelay(true);
    socket.once('connect', () => {
      opened = true;
      counts.connections++;
      send();
    });
    socket.on('data', (chunk) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      for (;;) {
        const response = takeResponse(received);
        if (response === undefined) return;
        received = received.subarray(response.length);
        outstanding = false;
        counts.answered++;
        if (response.status < 200 || response.status > 299) counts.non2xx++;
        if (response.close) closing = true;
        else send();
      }
    });
    socket.on('error', (error) => (errorCode = error.code));
    socket.once('close', () => {
      if (!opened) {
        resolve(errorCode === 'ECONNREFUSED' ? 'refused' : 'closed');
        return;
      }
      if (outstanding) {
        if (errorCode !== undefined) counts.resets++;
        else counts.emptyReplies++;
      }
      resolve('closed');
    });
  });
}

/** The first complete response in `bytes` (Content-Length framed, as the runtime sends), if any. */
function takeResponse(bytes) {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const head = bytes.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  const total = headEnd + 4 + length;
  if (bytes.length < total) return undefined;
  return { status, length: total, close: /\r\nconnection: *close/i.test(head) };
}
