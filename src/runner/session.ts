import type pg from "pg";
import { connectClient } from "../db/index.ts";
import { bindActor, bindActorSql, ensureLedger } from "../ledger/index.ts";
import type { Environment } from "../config/index.ts";
import { acquireMigrationLock, releaseMigrationLock } from "./lock.ts";
import type { RunContext } from "./types.ts";

/** "host:port/database" of a connection URL: enough to name it in a message, never the password. */
export function databaseLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "the database";
  }
}

/** One connection to the environment's database with the ledger in place, closed afterwards. */
export async function withLedgerClient<T>(environment: Environment, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectClient(environment.databaseUrl, "rookery");
  try {
    await ensureLedger(client);
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * What DISCARD ALL does, except releasing advisory locks (DISCARD ALL would give up the migration
 * lock): every setting back to the session's defaults (search_path, session_replication_role, ...),
 * the login role back (SET ROLE / SET SESSION AUTHORIZATION), cursors, prepared statements, LISTENs,
 * temporary tables and cached plans gone. The actor is bound again, since RESET ALL clears it.
 */
const SESSION_RESET_SQL =
  "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES;";

/**
 * Puts the runner's session back as it was when the run began, keeping its migration lock: each
 * migration starts from a clean session whatever the one before it SET, so a `SET search_path` or a
 * `SET session_replication_role = replica` in one file never reaches the next.
 */
export async function resetSession(client: pg.ClientBase, actor: string): Promise<void> {
  await client.query(`${SESSION_RESET_SQL} ${bindActorSql(actor)}`);
}

/**
 * A runner's session: one connection that holds the database's migration lock for the whole run and
 * runs every migration, so whatever the lock protects is done by its holder.
 */
export async function withRunnerSession<T>(ctx: RunContext, use: (client: pg.Client, lockPid: number) => Promise<T>): Promise<T> {
  return withLedgerClient(ctx.environment, async (client) => {
    await bindActor(client, ctx.actor);
    const lockPid = await acquireMigrationLock(client, ctx.environment, ctx.onProgress);
    try {
      return await use(client, lockPid);
    } finally {
      await releaseMigrationLock(client).catch(() => {});
    }
  });
}
