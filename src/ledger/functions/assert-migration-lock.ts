import { MIGRATION_LOCK_KEY } from "../lock-keys.ts";

const unsignedKey = BigInt.asUintN(64, MIGRATION_LOCK_KEY);

/** SQLSTATE of the guard below: the transaction runs on a connection that does not hold the lock. */
export const LOCK_NOT_HELD_SQLSTATE = "RK001";

/**
 * The first statement of the ledger functions a run calls in each migration's transaction
 * (`rookery_record_applied`, `rookery_record_rolled_back`): the transaction must run on the server
 * process that took the migration lock (`p_lock_pid`). A session-level advisory lock stays with the
 * process that took it, so one comparison stands for a scan of pg_locks.
 */
export const ON_LOCK_HOLDER = `    IF pg_backend_pid() IS DISTINCT FROM p_lock_pid THEN
        RAISE EXCEPTION 'this transaction runs on server process %, not on %, which holds the migration lock', pg_backend_pid(), p_lock_pid
            USING ERRCODE = '${LOCK_NOT_HELD_SQLSTATE}',
                  HINT = 'A transaction-pooling proxy (PgBouncer) moves transactions between connections; connect directly or through a session-mode pool.';
    END IF;`;

/**
 * `rookery_assert_migration_lock()`: raises unless the backend running the current transaction holds
 * the migration lock. Every ledger write of a run calls it inside the migration's transaction, so a
 * connection pool that moves transactions between server connections (transaction-pooling
 * PgBouncer) can never commit a migration that is not protected by the lock.
 */
export const ASSERT_MIGRATION_LOCK = `
CREATE OR REPLACE FUNCTION public.rookery_assert_migration_lock()
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_locks
        WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
          AND classid = ${unsignedKey >> 32n} AND objid = ${unsignedKey & 0xffffffffn} AND objsubid = 1
          AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
    ) THEN
        RAISE EXCEPTION 'this transaction runs on a server connection that does not hold the migration lock'
            USING ERRCODE = '${LOCK_NOT_HELD_SQLSTATE}',
                  HINT = 'A transaction-pooling proxy (PgBouncer) moves transactions between connections; connect directly or through a session-mode pool.';
    END IF;
END;
$fn$;`;

export const MIGRATION_LOCK_GUARD_SQL = "SELECT public.rookery_assert_migration_lock();";
