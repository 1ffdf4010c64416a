import { UserError } from '../util/errors.js';

/**
 * Collects every configuration problem before failing, so one `serverless deploy` shows all of
 * them instead of one per run. Each problem names the key path in serverless.yml and the fix.
 * The same problem of several functions is one line: `functions.{a,b,c}.runtime: …`.
 */
export class Problems {
  private readonly items: { path: string; message: string }[] = [];
  private readonly notes: { path: string; message: string }[] = [];

  add(path: string, message: string): void {
    this.items.push({ path, message });
  }

  /** Something that does not stop a deploy but that the user should know (e.g. a feature flag). */
  warn(path: string, message: string): void {
    this.notes.push({ path, message });
  }

  get count(): number {
    return this.items.length;
  }

  get warnings(): string[] {
    return groupByMessage(this.notes);
  }

  /** Throws one UserError listing every problem, when there is any. */
  throwIfAny(): void {
    if (this.items.length === 0) return;
    const lines = groupByMessage(this.items);
    const head =
      lines.length === 1
        ? 'serverless.yml has a problem:'
        : `serverless.yml has ${lines.length} problems:`;
    throw new UserError([head, ...lines.map((line) => `  - ${line}`)].join('\n'));
  }
}

const FUNCTION_PATH = /^functions\.([^.[]+)(.*)$/;

/**
 * `path: message` lines, the same message at the same key of several functions merged into one
 * line (`functions.{a,b}.runtime: message`), and exact repeats dropped.
 */
export function groupByMessage(items: { path: string; message: string }[]): string[] {
  const groups = new Map<string, { rest: string; message: string; keys: string[]; path: string }>();
  for (const { path, message } of items) {
    const match = FUNCTION_PATH.exec(path);
    const rest = match ? (match[2] ?? '') : path;
    const id = `${match ? 'f' : 'p'}\u0000${rest}\u0000${message}`;
    const group = groups.get(id);
    if (!group) groups.set(id, { rest, message, keys: match ? [match[1] ?? ''] : [], path });
    else if (match && !group.keys.includes(match[1] ?? '')) group.keys.push(match[1] ?? '');
  }
  return [...groups.values()].map(({ rest, message, keys, path }) => {
    if (keys.length <= 1) return `${path}: ${message}`;
    return `functions.{${keys.join(',')}}${rest}: ${message}`;
  });
}
