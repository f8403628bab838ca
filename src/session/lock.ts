import type pg from "pg";
import type { Environment } from "../config/index.ts";
import { withServerBudget } from "../db/index.ts";
import { MIGRATION_LOCK_KEY } from "../ledger/index.ts";
import { AdvisoryLockTimeoutError, TransactionPoolingError, type LockHolder } from "./errors.ts";
import { databaseLabel } from "./session.ts";
import type { ProgressListener } from "./context.ts";

export { MIGRATION_LOCK_KEY };

/** A bigint advisory key appears in pg_locks as classid (high 32 bits) and objid (low 32 bits). */
const unsignedKey = BigInt.asUintN(64, MIGRATION_LOCK_KEY);
const LOCK_CLASSID = (unsignedKey >> 32n).toString();
const LOCK_OBJID = (unsignedKey & 0xffffffffn).toString();

const LOCKS_OF_KEY = `FROM pg_catalog.pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1
    AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`;

export async function findLockHolder(client: pg.ClientBase): Promise<LockHolder | undefined> {
  const { rows } = await client.query<{ pid: number; application_name: string | null; client: string | null; usename: string | null; since: Date | null; query: string | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client, a.usename, a.backend_start AS since, a.query
     FROM pg_catalog.pg_stat_activity a WHERE a.pid IN (SELECT l.pid ${LOCKS_OF_KEY}) LIMIT 1`,
    [LOCK_CLASSID, LOCK_OBJID],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    pid: row.pid,
    applicationName: row.application_name ?? "",
    client: row.client,
    user: row.usename,
    since: row.since ? row.since.toISOString() : null,
    query: row.query,
  };
}

/**
 * A transaction-pooling PgBouncer hands each transaction to any server connection: the lock we just
 * took would sit on a connection we no longer own, and SET would leak to others. Refuse to run then,
 * and free the lock by ending the server connection that took it (nothing else will release it).
 * When the pool happens to give us the same connection here, the guard in every ledger write
 * (rookery_record_applied checks the transaction runs on this process) still refuses to commit a
 * migration on any other.
 */
async function assertSessionKept(client: pg.ClientBase, environment: Environment, lockPid: number): Promise<void> {
  const { rows } = await client.query<{ pid: number; held: boolean }>(
    `SELECT pg_backend_pid() AS pid, EXISTS (SELECT 1 ${LOCKS_OF_KEY} AND l.pid = pg_backend_pid()) AS held`,
    [LOCK_CLASSID, LOCK_OBJID],
  );
  if (rows[0]?.pid === lockPid && rows[0].held) return;
  await client.query("SELECT pg_terminate_backend($1)", [lockPid]).catch(() => {});
  const evidence = rows[0]?.pid !== lockPid
    ? `the lock was taken by server process ${lockPid}, the next statement ran on ${rows[0]?.pid}`
    : "the advisory lock just taken is not held by this connection";
  throw new TransactionPoolingError(databaseLabel(environment.databaseUrl), evidence);
}

/**
 * Takes the database's migration lock, waiting for another runner at most `advisoryLockWait`. The
 * wait is Postgres's own (lock_timeout on pg_advisory_lock), so the lock passes on the moment it is
 * freed. Returns the server process that holds it.
 */
export async function acquireMigrationLock(client: pg.ClientBase, environment: Environment, onProgress?: ProgressListener): Promise<number> {
  const database = databaseLabel(environment.databaseUrl);
  const key = MIGRATION_LOCK_KEY.toString();
  const attempt = await client.query<{ taken: boolean; pid: number }>("SELECT pg_try_advisory_lock($1) AS taken, pg_backend_pid() AS pid", [key]);
  let lockPid = attempt.rows[0]?.pid ?? 0;
  if (!attempt.rows[0]?.taken) {
    const holder = await findLockHolder(client);
    const waitMs = Math.max(0, Math.round(environment.advisoryLockWait));
    if (waitMs === 0) throw new AdvisoryLockTimeoutError(database, 0, holder);
    await onProgress?.({
      step: "lock",
      message: `waiting up to ${Math.round(waitMs / 1000)} s for the migration lock on ${database}, held by pid ${holder?.pid ?? "?"} (${holder?.applicationName || "unknown application"})`,
      detail: { holder },
    });
    await client.query(`SET lock_timeout = ${waitMs}`);
    try {
      const { rows } = await withServerBudget(client, waitMs, () =>
        client.query<{ pid: number }>("SELECT pg_advisory_lock($1), pg_backend_pid() AS pid", [key]),
      );
      lockPid = rows[0]?.pid ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code === "55P03") {
        throw new AdvisoryLockTimeoutError(database, waitMs, (await findLockHolder(client)) ?? holder);
      }
      throw error;
    } finally {
      await client.query("RESET lock_timeout").catch(() => {});
    }
  }
  await assertSessionKept(client, environment, lockPid);
  await onProgress?.({ step: "lock", message: `migration lock taken on ${database}` });
  return lockPid;
}

export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
}
