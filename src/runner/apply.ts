import type pg from "pg";
import type { Statement } from "../analysis/parse.ts";
import { errorText, postgresDetail } from "../errors.ts";
import { findForeignLedgers, LOCK_NOT_HELD_SQLSTATE, readLedger, recordFailure, UnadoptedForeignLedgerError } from "../ledger/index.ts";
import { NO_ROLLBACK_FILE, rollbackPinKey, rollbackPinOf } from "../catalog/index.ts";
import { ChecksumMismatchError, RollbackChangedError, TransactionPoolingError, UnknownVersionError } from "./errors.ts";
import { executeInTransaction, piecesOf } from "./execute-in-transaction.ts";
import { batchFrom, executeBatch } from "./execute-batch.ts";
import { executeOutsideTransaction, needsOutsideTransaction } from "./execute-outside-transaction.ts";
import { isConnectionLost, MigrationStatementError, sqlstateOf, type MigrationExecutor, type MigrationRun } from "../session/execution.ts";
import { isLockTimeout, LockRetriesExhausted } from "../session/retry.ts";
import { archivesDataChanges, executeWithArchive } from "./archive.ts";
import { backupBeforeApply } from "./backup.ts";
import { applyTenantScoped } from "./tenants.ts";
import { databaseLabel, resetSession, withRunnerSession } from "../session/session.ts";
import { isPending } from "./statements.ts";
import { ParseAhead } from "./parse-ahead.ts";
import type { Environment } from "../config/index.ts";
import type { ApplyOptions, ApplyReport, Migration, MigrationFailure, RunContext } from "./types.ts";

/** The migrations asked for, in the order asked (or the whole catalog, in version order). */
function selectMigrations(ctx: RunContext, options: ApplyOptions): Migration[] {
  if (!options.versions) return ctx.catalog.migrations;
  return [...new Set(options.versions)].map((version) => {
    const migration = ctx.catalog.byVersion.get(version);
    if (!migration) throw new UnknownVersionError(version, ctx.catalog.dir);
    return migration;
  });
}

/**
 * A file about to run that changed since its checksum was pinned is refused before anything runs, and
 * so is one whose rollback file changed (or appeared, or went) since: approvers approved that rollback.
 */
function checkPinnedChecksums(migrations: Migration[], expected: Record<string, string> | undefined): void {
  if (!expected) return;
  for (const migration of migrations) {
    const pinned = expected[migration.version];
    if (pinned !== undefined && pinned !== migration.checksum) {
      throw new ChecksumMismatchError(migration.version, migration.path, pinned, migration.checksum);
    }
    const pinnedRollback = expected[rollbackPinKey(migration.version)];
    if (pinnedRollback !== undefined && pinnedRollback !== rollbackPinOf(migration)) {
      throw new RollbackChangedError(migration.version, migration.rollback?.path ?? `the rollback file of ${migration.path}`, pinnedRollback === NO_ROLLBACK_FILE ? "added" : migration.rollback ? "changed" : "removed");
    }
  }
}

type ExpandContract = typeof import("../expand/index.ts");

/** How one migration runs: once per tenant, outside a transaction, with its data changes archived first, or plainly in one transaction. */
function executorFor(migration: Migration, statements: Statement[], environment: Environment, expand: ExpandContract | undefined): MigrationExecutor {
  // Production safety (src/runner/tenants.ts, src/runner/archive.ts): once per tenant; data changes archived first.
  if (migration.tenantScoped) return applyTenantScoped;
  // Expand-contract (src/expand/): this runs the expand phase; `rookery complete` the contract.
  if (migration.expandContract) return expand!.executeExpandContract;
  if (migration.noTransaction || needsOutsideTransaction(statements)) return executeOutsideTransaction;
  return archivesDataChanges(environment, statements) ? executeWithArchive : executeInTransaction;
}

/**
 * Steps run once, after the lock is taken and before the first migration's transaction, with the
 * migrations about to run: the pre-apply backup (src/runner/backup.ts) goes here. A step that throws
 * stops the run with nothing applied.
 */
async function beforeApplying(ctx: RunContext, client: pg.Client, migrations: Migration[]): Promise<void> {
  await backupBeforeApply(ctx, client, migrations.map((migration) => migration.version));
}

/**
 * Records a failed migration in a transaction of its own (the migration's was rolled back) and
 * describes it for the report. A lost connection is not recorded: whether its COMMIT reached the
 * server is unknown, and `rookery status` will tell.
 */
async function recordFailedMigration(run: MigrationRun, error: unknown): Promise<MigrationFailure> {
  const { migration, client, context } = run;
  if (isConnectionLost(error)) {
    return {
      version: migration.version,
      error: `the connection was lost while applying ${migration.version} (${(error as Error).message}); check \`rookery status\` for its outcome`,
      transient: true,
    };
  }
  if (sqlstateOf(error) === LOCK_NOT_HELD_SQLSTATE) {
    throw new TransactionPoolingError(databaseLabel(context.environment.databaseUrl), `${migration.version} ran on a server connection that does not hold the migration lock; it was rolled back`);
  }
  const exhausted = error instanceof LockRetriesExhausted;
  const cause = exhausted ? error.lastError : error;
  const detail = error instanceof MigrationStatementError ? error.detail : { sqlstate: (cause as { code?: string }).code };
  const where = detail.line !== undefined ? `${migration.path}:${detail.line}: ` : `${migration.path}: `;
  const headline = exhausted
    ? `${where}could not get its locks within the lock timeout after ${error.retries} retries: another transaction holds them (${(cause as Error).message})`
    : `${where}${(cause as Error).message}`;
  const leftover = detail.invalidIndexes?.length
    ? `; it left INVALID index ${detail.invalidIndexes.join(", ")}, dropped before the next attempt`
    : "";
  // Postgres's DETAIL and HINT (the duplicated key, the dependent view) go wherever the message goes.
  const message = errorText(cause, headline + leftover);
  const postgres = postgresDetail(cause);
  await recordFailure(client, context.environment.ledgerSchema, {
    version: migration.version,
    description: migration.description,
    checksum: migration.checksum,
    rollbackScript: migration.rollback?.sql ?? null,
    actor: context.actor,
    error: message,
    detail: { ...detail, path: migration.path, transient: exhausted, lockRetries: exhausted ? error.retries : undefined, postgresDetail: postgres.detail, postgresHint: postgres.hint },
  });
  return { version: migration.version, error: message, sqlstate: detail.sqlstate, postgresDetail: postgres.detail, postgresHint: postgres.hint, transient: exhausted };
}

/**
 * Applies the pending migrations (or options.versions) in order, each in its own transaction, under
 * the database's migration lock. The ledger is read after the lock is taken, so a runner that waited
 * carries on with what is still pending and never applies a migration twice. The first failure is
 * recorded and stops the run.
 */
export async function applyMigrations(ctx: RunContext, options: ApplyOptions = {}): Promise<ApplyReport> {
  const selected = selectMigrations(ctx, options);
  const parsing = new ParseAhead(selected);
  try {
    return await applySelected(ctx, options, selected, parsing);
  } finally {
    parsing.stop();
  }
}

async function applySelected(ctx: RunContext, options: ApplyOptions, selected: Migration[], parsing: ParseAhead): Promise<ApplyReport> {
  return withRunnerSession(ctx, async (client, lockPid) => {
    const ledger = await readLedger(client, ctx.environment.ledgerSchema);
    if (ledger.size === 0 && !options.ignoreForeignLedger) {
      // Another tool's history with nothing in Rookery's: running it all again would break the database.
      const foreign = (await findForeignLedgers(client)).filter((found) => found.rows > 0);
      if (foreign.length > 0) throw new UnadoptedForeignLedgerError(foreign);
    }
    const report: ApplyReport = { environment: ctx.environment.name, applied: [], skipped: [] };
    const pending: Migration[] = [];
    for (const migration of selected) {
      const entry = ledger.get(migration.version);
      if (isPending(entry)) pending.push(migration);
      else if (options.versions) report.skipped.push({ version: migration.version, reason: `already applied at ${entry?.appliedAt} by ${entry?.appliedBy}` });
    }
    // The files go on parsing (ParseAhead) while the caller checks what is about to run.
    if (pending.length > 0) await options.beforeRunning?.(pending, client);
    const statements = await parsing.statementsOf(pending);
    const todo: MigrationRun[] = pending.map((migration, index) => ({
      client,
      context: ctx,
      migration,
      statements: statements[index]!,
      previous: ledger.get(migration.version),
      lockPid,
    }));
    checkPinnedChecksums(todo.map((run) => run.migration), options.expectedChecksums);
    // An expand-contract file with a statement that cannot run in two phases is refused before anything runs.
    // So is one whose tables another version's expansion still holds, or another file of this run expands.
    // Expand-contract's code (its planner, operations and views) is loaded only for a run that holds such a file.
    const expand = todo.some((run) => run.migration.expandContract) ? await import("../expand/index.ts") : undefined;
    await expand?.refuseConflictingExpansions(client, ctx.environment.ledgerSchema, todo);
    await beforeApplying(ctx, client, todo.map((run) => run.migration));
    const failWith = async (run: MigrationRun, error: unknown) => {
      // Whatever the file SET outside a transaction must not reach its failure record either.
      await resetSession(client, ctx.actor, ctx.environment).catch(() => {});
      report.failed = await recordFailedMigration(run, error);
      ctx.logger?.warn({ version: run.migration.version, error: report.failed.error }, "migration failed");
    };

    const announce = async (index: number) => {
      const { migration, previous } = todo[index]!;
      await ctx.onProgress?.({
        step: "apply",
        version: migration.version,
        message: `applying ${migration.version} (${index + 1}/${todo.length}): ${migration.description}${previous ? ` (again, it was ${previous.status.replace("_", " ")})` : ""}`,
      });
    };
    const fitsBatch = (run: MigrationRun) =>
      executorFor(run.migration, run.statements, ctx.environment, expand) === executeInTransaction && piecesOf(run.migration.sql, run.statements).length === 1;
    let index = 0;
    while (index < todo.length) {
      // Plain files in a row go to the server in one query, each still in its own transaction (src/runner/execute-batch.ts).
      const batch = batchFrom(client, todo, index, fitsBatch);
      let retryAfter: unknown;
      if (batch.length > 0) {
        await announce(index);
        const first = index;
        let started = performance.now();
        let announced = Promise.resolve();
        const outcome = await executeBatch(batch, (done) => {
          const now = performance.now();
          const { migration } = batch[done]!;
          report.applied.push({ version: migration.version, description: migration.description, checksum: migration.checksum, durationMs: Math.round(now - started), outsideTransaction: false, lockRetries: 0 });
          started = now;
          if (done + 1 < batch.length) {
            announced = announced.then(() => announce(first + done + 1));
            // Awaited once the batch ends: a listener that failed meanwhile is not an unhandled rejection.
            announced.catch(() => {});
          }
        });
        await announced;
        index += outcome.committed;
        if (outcome.failure === undefined) continue;
        if (!isLockTimeout(outcome.failure)) {
          await failWith(todo[index]!, outcome.failure);
          break;
        }
        // A lock not granted in time is tried again as executeInTransaction tries it, this first try counted.
        retryAfter = outcome.failure;
      } else {
        await announce(index);
      }
      const run = todo[index]!;
      const { migration } = run;
      const started = performance.now();
      try {
        const execute = executorFor(migration, run.statements, ctx.environment, expand);
        // Every migration starts from a clean session; executeInTransaction sends the reset with its transaction.
        if (execute !== executeInTransaction) await resetSession(client, ctx.actor, ctx.environment);
        const result = retryAfter === undefined ? await execute(run) : await executeInTransaction(run, retryAfter);
        report.applied.push({
          version: migration.version,
          description: migration.description,
          checksum: migration.checksum,
          durationMs: Math.round(performance.now() - started),
          ...result,
        });
      } catch (error) {
        await failWith(run, error);
        break;
      }
      index++;
    }
    await ctx.onProgress?.({
      step: "done",
      message: report.failed
        ? `${report.applied.length} applied, ${report.failed.version} failed: ${report.failed.error}`
        : `${report.applied.length} applied${report.skipped.length ? `, ${report.skipped.length} already applied` : ""}`,
    });
    return report;
  });
}
