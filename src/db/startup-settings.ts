/**
 * Settings a connection sends in its startup packet, as `-c name=value` switches of the `options`
 * parameter. The server takes them as the session's own defaults: RESET ALL and DISCARD ALL go back
 * to them, and they are never parsed as SQL, so a value from a person can travel this way.
 */

/**
 * The server splits `options` at whitespace, a backslash keeping the character after it (libpq's
 * rules, pg_split_opts): a backslash before each ASCII whitespace and each backslash keeps a value
 * whole. Only ASCII: a byte of a multibyte character must not be mistaken for a space.
 */
function escapeOption(value: string): string {
  return value.replace(/[ \t\n\v\f\r\\]/g, (character) => `\\${character}`);
}

/**
 * The connection URL with `settings` added after the `options` it already carries (or PGOPTIONS,
 * which the URL's own would replace), so a user's switches still apply. A connection string that is
 * not a URL goes unchanged: the caller checks whether a setting arrived (see src/session/session.ts).
 */
export function withStartupSettings(url: string, settings: Record<string, string>): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const switches = entries.map(([name, value]) => `-c ${name}=${escapeOption(value.replaceAll("\0", ""))}`);
  const existing = parsed.searchParams.get("options") ?? process.env.PGOPTIONS ?? "";
  parsed.searchParams.set("options", [existing, ...switches].filter((part) => part !== "").join(" "));
  return parsed.toString();
}

/**
 * PgBouncer refuses a startup parameter it does not know (`options`, unless it is in its
 * ignore_startup_parameters, where it is dropped without a word): the connection is tried again
 * without the settings.
 */
export function isStartupParameterRefused(error: unknown): boolean {
  return /unsupported startup parameter/i.test((error as Error | undefined)?.message ?? "");
}
