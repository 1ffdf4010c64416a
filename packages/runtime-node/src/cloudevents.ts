import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { CloudEvent } from 'cloudevents';
import { RequestError } from './body.js';

type CloudEventsModule = typeof import('cloudevents');

export type CloudEventMode = 'binary' | 'structured' | 'batch';

// Loaded on the first request that carries a CloudEvent, so plain HTTP traffic and cold starts
// never pay for the SDK.
let sdk: Promise<CloudEventsModule> | undefined;
function loadSdk(): Promise<CloudEventsModule> {
  sdk ??= import('cloudevents').then((mod) =>
    (mod as { HTTP?: unknown }).HTTP ? mod : (mod as { default: CloudEventsModule }).default,
  );
  return sdk;
}

/** Which CloudEvents HTTP content mode the request uses, or undefined for plain HTTP. */
export function cloudEventMode(
  headers: IncomingHttpHeaders,
  mediaType: string,
): CloudEventMode | undefined {
  if (mediaType.startsWith('application/cloudevents')) {
    return mediaType.startsWith('application/cloudevents-batch') ? 'batch' : 'structured';
  }
  if (headers['ce-id'] !== undefined || headers['ce-specversion'] !== undefined) return 'binary';
  return undefined;
}

/**
 * Builds the CloudEvent from the request. `data` is the body already decoded by the runtime's rules
 * (JSON parsed, text as string, else Buffer). Any spec violation becomes a 400.
 */
export async function parseCloudEvent(
  mode: CloudEventMode,
  headers: IncomingHttpHeaders,
  data: unknown,
): Promise<CloudEvent<unknown>> {
  if (mode === 'batch') {
    throw new RequestError(
      400,
      'Batched CloudEvents are not supported; send one event per request',
    );
  }
  const { HTTP } = await loadSdk();
  try {
    if (mode === 'structured') {
      if (typeof data !== 'object' || data === null || Buffer.isBuffer(data)) {
        throw new Error('a structured CloudEvent needs a JSON object body');
      }
      // The SDK looks its parser up by the exact content type, so hand it the bare media type.
      const event = HTTP.toEvent({
        headers: { 'content-type': 'application/cloudevents+json' },
        body: data,
      }) as CloudEvent<unknown>;
      return checked(event);
    }
    const event = HTTP.toEvent({
      headers: headers as Record<string, string>,
      body: data,
    }) as CloudEvent<unknown>;
    return checked(event);
  } catch (error) {
    throw new RequestError(400, `Invalid CloudEvent: ${(error as Error).message}`);
  }
}

/** The SDK's HTTP parser builds events unchecked; enforce the spec's required attributes. */
function checked(event: CloudEvent<unknown>): CloudEvent<unknown> {
  if (event.specversion === '1.0') {
    event.validate();
    return event;
  }
  if (event.specversion === '0.3') {
    for (const attribute of ['id', 'type', 'source'] as const) {
      if (typeof event[attribute] !== 'string' || event[attribute] === '') {
        throw new Error(`missing required attribute '${attribute}'`);
      }
    }
    return event;
  }
  throw new Error(`unsupported specversion '${String(event.specversion)}' (use 1.0 or 0.3)`);
}

/** A CloudEvent instance returned by a handler (from any copy of the SDK), not a plain object. */
export function isCloudEvent(value: unknown): value is CloudEvent<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.specversion === 'string' &&
    typeof candidate.id === 'string' &&
    typeof candidate.type === 'string' &&
    typeof candidate.source === 'string'
  );
}

/** Serialises a returned CloudEvent in binary content mode. */
export async function toBinaryMessage(
  event: CloudEvent<unknown>,
): Promise<{ headers: OutgoingHttpHeaders; body: string | Buffer }> {
  const { HTTP } = await loadSdk();
  const message = HTTP.binary(event);
  const body = message.body;
  let payload: string | Buffer;
  if (body === undefined || body === null) payload = '';
  else if (typeof body === 'string') payload = body;
  else if (body instanceof Uint8Array)
    payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else payload = JSON.stringify(body);
  return { headers: message.headers as OutgoingHttpHeaders, body: payload };
}
