import { rollbackMigrations } from "../runner/index.ts";
import { notStarted, type DatabaseOutcome, type DatabaseRun } from "./apply-fleet.ts";

/**
 * Rolls back named versions on one database of a target (its own connection, lock and ledger, closed
 * afterwards), newest first with the scripts stored when they were applied, and says what happened: the
 * outcome's `applied` holds what was rolled back; `up_to_date` means every one was rolled back already
 * (a retried job). A failure before any script ran is thrown, for the queue to retry or record.
 */
export async function rollbackDatabase(run: Omit<DatabaseRun, "options" | "rethrow"> & { versions: string[]; reason: string }): Promise<DatabaseOutcome> {
  const started = performance.now();
  const outcome = notStarted(run.target, run.database, run.environment.databaseUrl, run.wave);
  const report = await rollbackMigrations({ environment: run.environment, catalog: run.catalog, actor: run.actor, logger: run.logger }, { versions: run.versions, reason: run.reason });
  outcome.applied = report.rolledBack.map((step) => step.version);
  outcome.failed = report.failed ? { ...report.failed, transient: false } : null;
  outcome.status = report.failed ? "failed" : outcome.applied.length > 0 ? "applied" : "up_to_date";
  outcome.durationMs = Math.round(performance.now() - started);
  return outcome;
}
