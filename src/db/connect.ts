import pg from "pg";
import { RookeryError } from "../errors.ts";
import { redactUrl } from "../log/redact-url.ts";
import { isStartupParameterRefused, withStartupSettings } from "./startup-settings.ts";
import { armDeadlines, ConnectionSilentError, DEFAULT_DEADLINE, type QueryDeadline } from "./deadline.ts";

/** Network-level failures: the server is not there, not a SQL problem. Worth retrying later. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "EAI_AGAIN", "57P03"]);

export function isUnreachable(error: unknown): boolean {
  if (error instanceof ConnectionSilentError) return true;
  const code = (error as { code?: string } | undefined)?.code;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** What a newcomer without the services needs to read: how to get a Postgres, or where to point Rookery. */
export const GET_A_DATABASE_HINT =
  "No Postgres yet? `docker-compose up -d postgres redis` in the Rookery folder starts one on 127.0.0.1:5432 (user postgres, trust auth); " +
  "or set DATABASE_URL (CONTROL_DATABASE_URL for the bot's own tables) to one you have, see docs/configuration.md.";

export class DatabaseUnreachableError extends RookeryError {
  /** `role` names which database it is: the environment's, or the control database of the bot and worker. */
  constructor(url: string, cause: unknown, role = "the database") {
    const reason = (cause as Error)?.message ?? String(cause);
    super(`cannot connect to ${role} at ${redactUrl(url)}: ${reason}`, {
      hint: `Check that Postgres is running and that the environment's databaseUrl (or DATABASE_URL) is right.\n${GET_A_DATABASE_HINT}`,
      cause,
    });
  }
}

/**
 * A pool's first query (creating a schema, say) with a server that does not answer turned into a
 * message naming that database, instead of a bare `connect ECONNREFUSED 127.0.0.1:5432`.
 */
export async function firstContact<T>(pool: pg.Pool, role: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUnreachable(error) || /timeout expired|Connection terminated due to connection timeout/i.test((error as Error)?.message ?? "")) {
      throw new DatabaseUnreachableError(pool.options.connectionString ?? "the configured URL", error, role);
    }
    throw error;
  }
}

/** TCP keepalive from our side: a peer that vanished without a FIN is noticed by the kernel. */
const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

/** "host:port/database" of a connection URL: names it in a message, never the password. */
export function databaseLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "the database";
  }
}

export function createPool(url: string, options: { max?: number; applicationName?: string; deadline?: QueryDeadline } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 4,
    application_name: options.applicationName ?? "rookery",
    connectionTimeoutMillis: 10_000,
    ...KEEPALIVE,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  pool.on("connect", (client) => armDeadlines(client, options.deadline ?? DEFAULT_DEADLINE, databaseLabel(url)));
  return pool;
}

/**
 * A single connection, with connection failures turned into a message naming the database, and
 * every query bounded by `deadline` (src/db/deadline.ts). `startupSettings` travel in the startup
 * packet (src/db/startup-settings.ts); a pooler that refuses them gets a connection without them,
 * so a caller that needs one checks the session's setting.
 */
export async function connectClient(
  url: string,
  applicationName = "rookery",
  deadline: QueryDeadline = DEFAULT_DEADLINE,
  connectTimeoutMs = 10_000,
  startupSettings: Record<string, string> = {},
): Promise<pg.Client> {
  const connect = async (connectionString: string) => {
    const client = new pg.Client({ connectionString, application_name: applicationName, connectionTimeoutMillis: connectTimeoutMs, ...KEEPALIVE });
    client.on("error", () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  };
  const withSettings = withStartupSettings(url, startupSettings);
  let client: pg.Client;
  try {
    client = await connect(withSettings).catch((error: unknown) => {
      if (withSettings !== url && isStartupParameterRefused(error)) return connect(url);
      throw error;
    });
  } catch (error) {
    throw new DatabaseUnreachableError(url, error);
  }
  armDeadlines(client, deadline, databaseLabel(url));
  return client;
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectClient(url);
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}
