import { DatabaseUnreachableError, isUnreachable } from "../db/index.ts";
import { AdvisoryLockTimeoutError, ConnectionLostError, RollbackFailedError } from "../runner/errors.ts";

/**
 * Failures worth another attempt as they are: the database or Redis was not there, the connection died
 * mid-run, or another runner (or transaction) held the locks for too long; the same for an apply and a
 * rollback. Everything else (a SQL error, a changed file) would fail the same way again.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof DatabaseUnreachableError || error instanceof AdvisoryLockTimeoutError || error instanceof ConnectionLostError) return true;
  if (error instanceof RollbackFailedError) return error.transient;
  if (isUnreachable(error)) return true;
  const message = (error as Error | undefined)?.message ?? "";
  // ioredis while Redis restarts; pg when the server went away mid-query.
  return /Connection is closed|ECONNREFUSED|Connection terminated|not queryable|the database system is (starting up|shutting down)/i.test(message);
}
