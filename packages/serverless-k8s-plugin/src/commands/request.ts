// The HTTP request `invoke` and `invoke local` send, built from the CLI options, and how the
// response is shown. Pure, so the mapping is unit-tested once for both commands.
import { randomUUID } from 'node:crypto';
import type { ProxyRequest } from '../cluster/types.js';
import { UserError } from '../util/errors.js';
import type { CliOptions } from './context.js';
import {
  booleanOption,
  encodeData,
  listOption,
  parseHeaders,
  parseMethod,
  parseUrlPath,
  stringOption,
} from './options.js';

const DEFAULT_CLOUDEVENT_TYPE = 'dev.serverless-k8s.invoke';
const DEFAULT_CLOUDEVENT_SOURCE = 'serverless-k8s/cli';

/**
 * `-d`/`-p` data → body (JSON as application/json, else text/plain), `--method` (POST with data,
 * GET without), `--http-path`, repeated `--header`, and with `--cloudevent` (or `--type`/`--source`)
 * the binary-mode CloudEvent headers. Explicit headers win over derived ones.
 */
export function buildRequest(options: CliOptions, data: string | undefined): ProxyRequest {
  const cloudEvent =
    booleanOption(options, 'cloudevent', false) ||
    stringOption(options, 'type') !== undefined ||
    stringOption(options, 'source') !== undefined;
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  if (data !== undefined) {
    const encoded = encodeData(data, booleanOption(options, 'raw', false));
    body = encoded.body;
    headers['content-type'] = encoded.contentType;
  }
  if (cloudEvent) {
    headers['ce-specversion'] = '1.0';
    headers['ce-id'] = randomUUID();
    headers['ce-type'] = stringOption(options, 'type') ?? DEFAULT_CLOUDEVENT_TYPE;
    headers['ce-source'] = stringOption(options, 'source') ?? DEFAULT_CLOUDEVENT_SOURCE;
    headers['ce-time'] = new Date().toISOString();
  }
  Object.assign(headers, parseHeaders(listOption(options, 'header')));
  const method = parseMethod(
    stringOption(options, 'method'),
    body !== undefined || cloudEvent ? 'POST' : 'GET',
  );
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new UserError(
      `--method ${method} cannot carry the request data; use POST (the default with -d/-p) or PUT.`,
    );
  }
  return {
    method,
    path: parseUrlPath(stringOption(options, 'http-path')),
    headers,
    ...(body ? { body } : {}),
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The response body as text: JSON indented, anything else as it came. */
export function formatBody(body: Buffer, contentType: string | undefined): string {
  const text = body.toString('utf8');
  if (contentType && /\bjson\b/i.test(contentType)) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Body text of a 2xx response; for any other status a UserError with the status and the body. */
export function responseText(
  functionName: string,
  response: { status: number; headers: Record<string, string>; body: Buffer },
): string {
  const text = formatBody(response.body, headerValue(response.headers, 'content-type'));
  if (response.status >= 200 && response.status < 300) return text;
  const statusText = STATUS_TEXT[response.status] ?? '';
  throw new UserError(
    `Function ${functionName} answered HTTP ${response.status}${statusText ? ` ${statusText}` : ''}` +
      (text.trim() ? `:\n${text}` : ' with an empty body'),
  );
}
