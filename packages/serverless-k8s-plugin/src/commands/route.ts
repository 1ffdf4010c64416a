// Sending `invoke` straight to a function's own route (a Knative Service's URL), the way a client
// of the function would. When the route cannot be reached from this machine (no DNS for it, no
// ingress listening, a firewall), the caller falls back to the API server's proxy.
import http from 'node:http';
import https from 'node:https';
import { buffer } from 'node:stream/consumers';
import type { ProxyRequest, ProxyResponse } from '../cluster/types.js';

/** Errors that mean "not reachable from here", as opposed to a request that reached the function. */
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ETIMEDOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export type RouteResult =
  { reached: true; response: ProxyResponse } | { reached: false; reason: string };

/**
 * One request to `routeUrl` + request.path. Connecting is bounded by `connectTimeoutMs`; once
 * connected, the function's own answer (any status) is the result.
 */
export function sendToRoute(
  routeUrl: string,
  request: ProxyRequest,
  connectTimeoutMs: number,
): Promise<RouteResult> {
  const base = new URL(routeUrl);
  const url = new URL(
    request.path.replace(/^\//, ''),
    base.href.endsWith('/') ? base : `${base.href}/`,
  );
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let connected = false;
    const req = transport.request(
      url,
      { method: request.method, headers: request.headers },
      (res) => {
        buffer(res).then(
          (body) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined)
                headers[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ reached: true, response: { status: res.statusCode ?? 0, headers, body } });
          },
          (error: Error) => resolve({ reached: false, reason: error.message }),
        );
      },
    );
    const connectTimer = setTimeout(() => {
      if (!connected)
        req.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, connectTimeoutMs);
    req.on('socket', (socket) => {
      const onConnect = (): void => {
        connected = true;
        clearTimeout(connectTimer);
      };
      if (!socket.connecting) onConnect();
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', onConnect);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (!connected || UNREACHABLE.has(error.code ?? '')) {
        resolve({ reached: false, reason: `${error.code ?? 'error'}: ${error.message}` });
      } else {
        resolve({ reached: false, reason: error.message });
      }
    });
    req.end(request.body);
  });
}
