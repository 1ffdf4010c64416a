/**
 * A mistake the user can fix (config, cluster state, permissions). Commands turn it into a
 * framework error without a stack trace; everything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
