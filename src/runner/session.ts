import type pg from "pg";
import { connectClient } from "../db/index.ts";
import { bindActor, ensureLedger } from "../ledger/index.ts";
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
