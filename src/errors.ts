/**
 * Errors a user can act on. `hint` says what to do next; the CLI prints it, Slack shows it,
 * and `exitCode` follows the documented convention (1 failed, 2 usage).
 */
export class RookeryError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(message: string, options: { hint?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The user asked for something malformed: wrong arguments, bad config, unknown environment. */
export class UsageError extends RookeryError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

export function describeError(error: unknown): string {
  if (error instanceof RookeryError) return error.hint ? `${error.message}\n${error.hint}` : error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
