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

/**
 * Postgres's DETAIL and HINT of an error, found on it or on what it wraps (the engine wraps the
 * driver's error); a RookeryError's hint counts as a HINT. Undefined when there is none.
 */
export function postgresDetail(error: unknown): { detail?: string; hint?: string } {
  const found: { detail?: string; hint?: string } = {};
  for (let at = error, depth = 0; at && typeof at === "object" && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const { detail, hint } = at as { detail?: unknown; hint?: unknown };
    if (found.detail === undefined && typeof detail === "string" && detail !== "") found.detail = detail;
    if (found.hint === undefined && typeof hint === "string" && hint !== "") found.hint = hint;
  }
  return found;
}

/**
 * An error's message with Postgres's DETAIL and HINT below it, as psql prints them: "could not create
 * unique index" says little without "Key (tenant_id, lower(email))=(3, dup@example.com) is duplicated."
 */
export function errorText(error: unknown, message = error instanceof Error ? error.message : String(error)): string {
  const { detail, hint } = postgresDetail(error);
  return [message, detail === undefined ? "" : `DETAIL: ${detail}`, hint === undefined ? "" : `HINT: ${hint}`].filter(Boolean).join("\n");
}

export function describeError(error: unknown): string {
  if (error instanceof RookeryError) return error.hint ? `${error.message}\n${error.hint}` : error.message;
  return errorText(error);
}

/** The error without Rookery's hint: a line of a refusal whose own hint follows (a connection's hint would read as this line's end). */
export function describeErrorWithoutHint(error: unknown): string {
  return error instanceof RookeryError ? error.message : errorText(error);
}
