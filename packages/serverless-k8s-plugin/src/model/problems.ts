import { UserError } from '../util/errors.js';

/**
 * Collects every configuration problem before failing, so one `serverless deploy` shows all of
 * them instead of one per run. Each problem names the key path in serverless.yml and the fix.
 */
export class Problems {
  private readonly items: string[] = [];

  add(path: string, message: string): void {
    this.items.push(`${path}: ${message}`);
  }

  get count(): number {
    return this.items.length;
  }

  /** Throws one UserError listing every problem, when there is any. */
  throwIfAny(): void {
    if (this.items.length === 0) return;
    const head =
      this.items.length === 1
        ? 'serverless.yml has a problem:'
        : `serverless.yml has ${this.items.length} problems:`;
    throw new UserError([head, ...this.items.map((item) => `  - ${item}`)].join('\n'));
  }
}
