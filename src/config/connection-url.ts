import * as z from "zod";

/**
 * What node-postgres connects with: a `postgres://` or `postgresql://` URL (a socket folder in `?host=`
 * is fine), a `socket:` URL, or a socket folder's absolute path. Checked when the config loads, so a typo
 * is refused naming the setting instead of failing later as a DNS lookup of part of it.
 */
function isConnectionString(text: string): boolean {
  if (text.startsWith("/")) return true;
  try {
    return ["postgres:", "postgresql:", "socket:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

export const connectionUrl = z
  .string({ error: "a postgres:// connection URL" })
  .min(1, "a postgres://user@host:port/database connection URL")
  .refine(isConnectionString, "not a Postgres connection URL: expected postgres://user@host:port/database (check the scheme, the port, and that special characters in the password are percent-encoded)");

function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "" && url.pathname.length > 1;
  } catch {
    return false;
  }
}

/** A URL a fleet database is reached by, with its host and database; checked because a registry table is data, and data can be wrong. */
export const postgresUrl = z
  .string({ error: "a postgres:// connection URL" })
  .refine(isPostgresUrl, "a postgres://user@host:port/database connection URL");
