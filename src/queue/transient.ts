import { DatabaseUnreachableError, isUnreachable } from "../db/index.ts";
import { AdvisoryLockTimeoutError } from "../runner/errors.ts";

/**
 * Failures worth another attempt as they are: the database or Redis was not there, or another runner held
 * the database's lock for too long. Everything else (a SQL error, a changed file) would fail the same way again.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof DatabaseUnreachableError || error instanceof AdvisoryLockTimeoutError) return true;
  if (isUnreachable(error)) return true;
  const message = (error as Error | undefined)?.message ?? "";
  // ioredis while Redis restarts; pg when the server went away mid-query.
  return /Connection is closed|ECONNREFUSED|Connection terminated|the database system is (starting up|shutting down)/i.test(message);
}
