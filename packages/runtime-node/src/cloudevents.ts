import type { IncomingHttpHeaders } from 'node:http';
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

// The SDK invents an id, a spec version and a time for an event that lacks them or has a bad
// one (an invented id breaks de-duplication on redelivery) and reports schema failures as a JSON
// dump, so those attributes are checked here first and every 400 names the attribute (the header,
// in binary mode) at fault.
const BINARY_REQUIRED = ['ce-id', 'ce-source', 'ce-specversion', 'ce-type'] as const;
const STRUCTURED_REQUIRED = ['id', 'source', 'specversion', 'type'] as const;
const SPEC_VERSIONS = new Set(['1.0', '0.3']);
const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function timeProblem(name: string, value: unknown): string | undefined {
  if (value === undefined || (typeof value === 'string' && RFC_3339.test(value))) return undefined;
  return `${name} must be an RFC 3339 timestamp`;
}

function invalid(problem: string): RequestError {
  return new RequestError(400, `Invalid CloudEvent: ${problem}`);
}

function binaryProblem(headers: IncomingHttpHeaders): string | undefined {
  const missing = BINARY_REQUIRED.filter((name) => !headers[name]);
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  const version = String(headers['ce-specversion']);
  if (!SPEC_VERSIONS.has(version))
    return `unsupported ce-specversion '${version}' (use 1.0 or 0.3)`;
  return timeProblem('ce-time', headers['ce-time']);
}

function structuredProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || Buffer.isBuffer(data)) {
    return 'a structured CloudEvent needs a JSON object body';
  }
  const event = data as Record<string, unknown>;
  const missing = STRUCTURED_REQUIRED.filter(
    (name) => event[name] === undefined || event[name] === null || event[name] === '',
  );
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  const notString = STRUCTURED_REQUIRED.find((name) => typeof event[name] !== 'string');
  if (notString !== undefined) return `${notString} must be a string`;
  if (!SPEC_VERSIONS.has(event.specversion as string)) {
    return `unsupported specversion '${String(event.specversion)}' (use 1.0 or 0.3)`;
  }
  return timeProblem('time', event.time);
}

/** The SDK's validation failure in a line: each schema error as `<attribute> <what is wrong>`. */
function sdkProblem(error: unknown, mode: 'binary' | 'structured'): string {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    return error instanceof Error ? error.message : String(error);
  }
  return errors
    .map((schemaError: { instancePath?: unknown; message?: unknown }) => {
      const path = typeof schemaError.instancePath === 'string' ? schemaError.instancePath : '';
      const attribute = path.split('/')[1] ?? 'event';
      return `${mode === 'binary' ? `ce-${attribute}` : attribute} ${String(schemaError.message)}`;
    })
    .join('; ');
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
  const problem = mode === 'binary' ? binaryProblem(headers) : structuredProblem(data);
  if (problem !== undefined) throw invalid(problem);
  const { HTTP } = await loadSdk();
  try {
    const event = HTTP.toEvent(
      mode === 'binary'
        ? { headers: headers as Record<string, string>, body: data }
        : // The SDK looks its parser up by the exact content type, so hand it the bare media type.
          { headers: { 'content-type': 'application/cloudevents+json' }, body: data },
    ) as CloudEvent<unknown>;
    // Its HTTP parser builds events unchecked; this applies the spec's schema (1.0; 0.3 has none).
    event.validate();
    return event;
  } catch (error) {
    throw invalid(sdkProblem(error, mode));
  }
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

/** A returned CloudEvent in binary content mode: ce-* headers, the data as the body. */
export async function toBinaryMessage(
  event: CloudEvent<unknown>,
): Promise<{ headers: unknown; body: unknown }> {
  const { HTTP } = await loadSdk();
  return HTTP.binary(event);
}
