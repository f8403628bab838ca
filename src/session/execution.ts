import type pg from "pg";
import { isUnreachable } from "../db/index.ts";
import type { Statement } from "../analysis/parse.ts";
import { appliedRecordSql, type LedgerEntry } from "../ledger/index.ts";
import { LockRetriesExhausted } from "./retry.ts";
import type { Migration } from "../catalog/index.ts";
import type { RunContext } from "./context.ts";

/** Everything an executor needs to run one migration on the session that holds the lock. */
export interface MigrationRun {
  client: pg.Client;
  context: RunContext;
  migration: Migration;
  statements: Statement[];
  /** The ledger row before this run: undefined when never applied, else failed or rolled_back. */
  previous: LedgerEntry | undefined;
  /** The server process holding the migration lock; every ledger write checks it runs there. */
  lockPid: number;
}

export interface ExecutionResult {
  outsideTransaction: boolean;
  lockRetries: number;
}

/**
 * Back to the login role inside the migration's own transaction, before its ledger writes: a file
 * that ran `SET [LOCAL] ROLE app_owner` to own what it creates still has its row written by Rookery.
 */
export const LEDGER_WRITER_SQL = "\nSET SESSION AUTHORIZATION DEFAULT;";

/**
 * The ledger writes of a successful apply of this run's migration, as SQL for the transaction that
 * ends it; `detail` joins the checksum and path in the `applied` event.
 */
export function appliedRecordFor(run: MigrationRun, detail: Record<string, unknown>): string {
  const { migration } = run;
  return LEDGER_WRITER_SQL + appliedRecordSql({
    version: migration.version,
    description: migration.description,
    checksum: migration.checksum,
    rollbackScript: migration.rollback?.sql ?? null,
    lockPid: run.lockPid,
    detail: { checksum: migration.checksum, path: migration.path, ...(run.context.requestId ? { requestId: run.context.requestId } : {}), ...detail },
  }, run.context.environment.ledgerSchema);
}

/** The same writes in a transaction of their own, for files whose statements ran outside one. */
export async function recordAppliedOnItsOwn(run: MigrationRun, detail: Record<string, unknown>): Promise<void> {
  try {
    await run.client.query(`BEGIN;${appliedRecordFor(run, detail)}\nCOMMIT;`);
  } catch (error) {
    await run.client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/**
 * Runs one migration and writes its ledger row and event on success; throws on failure, leaving the
 * failure record to the caller. One per way of running a file: in a transaction, outside one,
 * once per tenant.
 */
export type MigrationExecutor = (run: MigrationRun) => Promise<ExecutionResult>;

/** The error of a failed migration, with where in the file it failed when Postgres says so. */
export interface FailureDetail {
  sqlstate?: string;
  line?: number;
  /** Statements of a file run outside a transaction that completed (and stay) before the failure. */
  statementsCompleted?: number;
  invalidIndexes?: string[];
}

export class MigrationStatementError extends Error {
  readonly detail: FailureDetail;

  constructor(cause: unknown, detail: FailureDetail) {
    super((cause as Error).message, { cause });
    this.detail = detail;
  }
}

/** The session is gone (terminated, reset, silent): nothing more can be sent on it, and a retry may succeed. */
export function isConnectionLost(error: unknown): boolean {
  const cause = error instanceof MigrationStatementError ? error.cause : error instanceof LockRetriesExhausted ? error.lastError : error;
  const code = sqlstateOf(error) ?? "";
  return isUnreachable(cause) || code.startsWith("08") || code === "57P01" || code === "57P02" ||
    /Connection terminated|connection error|not queryable/i.test((cause as Error)?.message ?? "");
}

/** The SQLSTATE of a failure, wherever the engine wrapped it. */
export function sqlstateOf(error: unknown): string | undefined {
  if (error instanceof MigrationStatementError) return error.detail.sqlstate;
  if (error instanceof LockRetriesExhausted) return sqlstateOf(error.lastError);
  return (error as { code?: string } | undefined)?.code;
}
