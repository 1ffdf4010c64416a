// Typed, problem-recording reads of the untyped serverless.yml, shared by the normalize modules.
import { Problems } from './problems.js';
import { dns1123SubdomainProblem } from './names.js';

export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typed reads that record a problem (and return undefined) when the type is wrong. */
export class Reader {
  constructor(readonly problems: Problems) {}

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.problems.add(path, `must be a string, got ${describe(value)}`);
    return undefined;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.problems.add(path, `must be true or false, got ${describe(value)}`);
    return undefined;
  }

  /** An integer in [min, max]; numeric strings are accepted (variables resolve to strings). */
  integer(
    value: unknown,
    path: string,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined {
    if (value === undefined || value === null) return undefined;
    const number =
      typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      this.problems.add(
        path,
        `must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}, got ${describe(value)}`,
      );
      return undefined;
    }
    return number;
  }

  object(value: unknown, path: string): Obj | undefined {
    if (value === undefined || value === null) return undefined;
    if (isObject(value)) return value;
    this.problems.add(path, `must be a map (key: value), got ${describe(value)}`);
    return undefined;
  }

  array(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    this.problems.add(path, `must be a list, got ${describe(value)}`);
    return undefined;
  }

  stringMap(value: unknown, path: string): Record<string, string> {
    const object = this.object(value, path);
    const result: Record<string, string> = {};
    for (const [key, entry] of Object.entries(object ?? {})) {
      const text =
        typeof entry === 'object' && entry !== null
          ? JSON.stringify(entry)
          : this.string(entry, `${path}.${key}`);
      if (text !== undefined) result[key] = text;
    }
    return result;
  }

  /** A list of names, each a DNS-1123 subdomain (Secrets, ConfigMaps). */
  names(value: unknown, path: string): string[] {
    const list = this.array(value, path) ?? [];
    const names: string[] = [];
    list.forEach((item, i) => {
      const name = isObject(item)
        ? this.string(item.name, `${path}[${i}].name`)
        : this.string(item, `${path}[${i}]`);
      if (name === undefined) return;
      const problem = dns1123SubdomainProblem(name);
      if (problem) this.problems.add(`${path}[${i}]`, problem);
      else names.push(name);
    });
    return names;
  }
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'a map';
  return JSON.stringify(value);
}

export function checkName(
  problems: Problems,
  path: string,
  value: string,
  rule: (value: string) => string | undefined,
): boolean {
  const problem = rule(value);
  if (problem) problems.add(path, problem);
  return problem === undefined;
}

export function checkHostname(problems: Problems, path: string, host: string): void {
  if (dns1123SubdomainProblem(host.replace(/^\*\./, 'wildcard.'))) {
    problems.add(
      path,
      `"${host}" is not a valid host name; write lower-case DNS names such as api.example.com`,
    );
  }
}

export function objectList(read: Reader, value: unknown, path: string): Obj[] {
  const list = read.array(value, path) ?? [];
  return list.filter((item, i): item is Obj => {
    if (isObject(item)) return true;
    read.problems.add(`${path}[${i}]`, `must be a map, got ${describe(item)}`);
    return false;
  });
}

export function rejectKeys(
  read: Reader,
  object: Obj,
  keys: string[],
  path: string,
  hint: string,
): void {
  for (const key of keys) {
    if (object[key] !== undefined) read.problems.add(`${path}.${key}`, hint);
  }
}
