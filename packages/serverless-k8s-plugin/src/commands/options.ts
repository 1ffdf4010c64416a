// Pure parsing of CLI options. The framework validates names and types; these functions check
// values and turn them into what the cluster API and the runtime take, with errors that name
// the option and the accepted forms.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FunctionModel, ServiceModel } from '../model/types.js';
import { UserError } from '../util/errors.js';
import type { CliOptions } from './context.js';

export function stringOption(options: CliOptions, name: string): string | undefined {
  const value = options[name];
  if (value === undefined || value === null || typeof value === 'boolean') return undefined;
  if (Array.isArray(value)) return value[value.length - 1];
  return value;
}

export function listOption(options: CliOptions, name: string): string[] {
  const value = options[name];
  if (value === undefined || value === null || typeof value === 'boolean') return [];
  return Array.isArray(value) ? value : [value];
}

/** `--flag` → true, `--no-flag` → false, absent → fallback. */
export function booleanOption(options: CliOptions, name: string, fallback: boolean): boolean {
  const value = options[name];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return fallback;
}

/**
 * Options the framework's command schema accepts (they come from its AWS commands) that mean
 * nothing here; returned as `--name` so the command can say it ignores them.
 */
export function givenOptions(options: CliOptions, names: string[]): string[] {
  return names
    .filter((name) => options[name] !== undefined && options[name] !== null)
    .map((name) => `--${name}`);
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/;

/** `30s`, `5m`, `2h`, `1d` → seconds; undefined when the text is not such a duration. */
export function durationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (DURATION_UNITS[match[2] as string] as number));
}

/** `--wait-timeout 90s|5m|300` (plain numbers are seconds) → milliseconds. */
export function parseWaitTimeout(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text) : durationSeconds(text);
  if (seconds === undefined || seconds <= 0) {
    throw new UserError(
      `--wait-timeout "${text}" is not a duration. Use seconds (300) or a duration like 90s, 5m.`,
    );
  }
  return seconds * 1000;
}

/** `-n/--count N` → a positive integer. */
export function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) === 0) {
    throw new UserError(`--count "${text}" must be a positive whole number of lines, e.g. -n 100.`);
  }
  return Number(text);
}

/** `--filter REGEX` → a RegExp, with the syntax error named. */
export function parseFilter(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UserError(
      `--filter "${text}" is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

/** Repeated `--header 'Name: value'` → a header map (names lower-cased, as HTTP/2 and Node use them). */
export function parseHeaders(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    const name = colon > 0 ? value.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UserError(
        `--header "${value}" is not "Name: value", e.g. --header "X-Request-Id: 42".`,
      );
    }
    headers[name.toLowerCase()] = value.slice(colon + 1).trim();
  }
  return headers;
}

/** `--method` → an upper-case HTTP method. */
export function parseMethod(text: string | undefined, fallback: string): string {
  if (text === undefined) return fallback;
  const method = text.trim().toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw new UserError(`--method "${text}" is not an HTTP method, e.g. GET or POST.`);
  return method;
}

/** The URL path to call: `/` unless given; always starts with `/`. */
export function parseUrlPath(text: string | undefined): string {
  if (text === undefined || text === '') return '/';
  return text.startsWith('/') ? text : `/${text}`;
}

export interface EncodedBody {
  body: Buffer;
  contentType: string;
}

/** Request data: JSON is sent as application/json (compact), anything else as text/plain. */
export function encodeData(data: string, raw = false): EncodedBody {
  if (!raw) {
    try {
      const parsed: unknown = JSON.parse(data);
      return { body: Buffer.from(JSON.stringify(parsed)), contentType: 'application/json' };
    } catch {
      // Not JSON: plain text below.
    }
  }
  return { body: Buffer.from(data), contentType: 'text/plain; charset=utf-8' };
}

/** `-d DATA` or `-p FILE` (relative to the service directory); undefined when neither is given. */
export async function readInvokeData(
  options: CliOptions,
  servicePath: string,
): Promise<string | undefined> {
  const data = stringOption(options, 'data');
  const file = stringOption(options, 'path');
  if (data !== undefined && file !== undefined) {
    throw new UserError(
      'Give the request data either with -d/--data or with -p/--path FILE, not both.',
    );
  }
  if (file === undefined) return data;
  const absolute = path.resolve(servicePath, file);
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    throw new UserError(
      `-p/--path ${file}: cannot read ${absolute} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
}

/** The function `-f NAME` names (its key in serverless.yml, or its Kubernetes name). */
export function findFunction(model: ServiceModel, name: string | undefined): FunctionModel {
  const names = model.functions.map((fn) => fn.key).join(', ') || '(none)';
  if (name === undefined)
    throw new UserError(`Name the function with -f/--function. Functions: ${names}.`);
  const fn =
    model.functions.find((candidate) => candidate.key === name) ??
    model.functions.find((f) => f.name === name);
  if (!fn) throw new UserError(`Function "${name}" is not in serverless.yml. Functions: ${names}.`);
  return fn;
}

/** The functions `-f NAME` selects, or all of them when it is absent. */
export function selectFunctions(model: ServiceModel, name: string | undefined): FunctionModel[] {
  return name === undefined ? model.functions : [findFunction(model, name)];
}
