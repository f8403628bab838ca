import type pg from "pg";
import { loadParser, mayNeedParseToRun, type Statement } from "../analysis/parse.ts";
import { connectClient, withServerBudget } from "../db/index.ts";
import { errorText, postgresDetail, UsageError } from "../errors.ts";
import { hasOpenExpansion, inLedgerSchema, LOCK_NOT_HELD_SQLSTATE, MIGRATION_LOCK_GUARD_SQL, readLedgerEntry, recordAutoRollback, recordRollback, recordRollbackFailure, rollbackCopiedRecordSql, type RollbackLedgerEntry } from "../ledger/index.ts";
import { restoreArchive, wantsArchiveRestore } from "./archive.ts";
import { ConnectionLostError, RollbackFailedError, TransactionPoolingError } from "./errors.ts";
import { needsOutsideTransaction, runStatementsOutsideTransaction } from "./execute-outside-transaction.ts";
import { LockRetriesExhausted, withLockRetries } from "../session/retry.ts";
import { rollbackCandidate, rollbackCandidateOf } from "./rollback-safety.ts";
import { isConnectionLost, LEDGER_WRITER_SQL, sqlstateOf } from "../session/execution.ts";
import { databaseLabel, migrationQueryLabel, resetSession, sessionResetPrefix, withRunnerSession } from "../session/session.ts";
import { runnableStatements } from "./statements.ts";
import { statementsBudgetMs, transactionTimeoutsSql } from "../session/timeouts.ts";
import type { ProgressEvent } from "../session/context.ts";
import type { RollbackCandidate } from "./rollback-safety.ts";
import type { RollbackOptions, RollbackReport, RunContext } from "./types.ts";

/** `meanwhile` runs once the first query is on its way (node-pg writes it at once on an idle client). */
async function inTransaction(client: pg.ClientBase, sql: string, finish: () => Promise<void>, meanwhile?: () => void): Promise<void> {
  try {
    const sent = client.query(sql);
    meanwhile?.();
    await sent;
    await finish();
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/**
 * What the ledger holds for `version` after the run's connection died, read on a new connection:
 * the lost session may have committed the rollback just before it went, or not at all.
 */
async function ledgerAfterLoss(ctx: RunContext, version: string, outside: boolean): Promise<string> {
  try {
    const client = await connectClient(ctx.environment.databaseUrl, "rookery", { serverBudgetMs: 5000, graceMs: 5000 });
    try {
      const entry = await readLedgerEntry(client, ctx.environment.ledgerSchema, version);
      if (entry?.status === "rolled_back") return `the rollback had committed: the ledger holds ${version} as rolled back`;
      const kept = outside ? "; statements it ran outside a transaction before the loss stay" : ", nothing of the rollback stays";
      return `the rollback was not committed: the ledger still holds ${version} as ${entry?.status.replace("_", " ") ?? "unknown"}${kept}`;
    } finally {
      await client.end().catch(() => {});
    }
  } catch {
    return "the database does not answer yet, so whether the rollback committed is unknown: `rookery status` tells once it does";
  }
}

/**
 * Rolls back an applied migration with the rollback script stored when it was applied (not today's
 * file), in a transaction of its own (or statement by statement when it holds DROP INDEX
 * CONCURRENTLY and the like). The row becomes rolled_back and keeps its applied_at; the reason and
 * actor go to migration_events as bound parameters, so a reason is only ever text.
 */
export async function rollbackMigration(ctx: RunContext, options: RollbackOptions): Promise<RollbackReport> {
  const reason = options.reason.trim();
  if (reason === "") throw new UsageError("a rollback needs a reason", { hint: "Say why, e.g. --reason \"checkout latency doubled\"." });
  return withRunnerSession(ctx, (client) => rollbackInSession(ctx, client, options, reason));
}

/**
 * A stored rollback script, as much as its run needs of it: its statements where it must run outside a
 * transaction, one by one; otherwise how many statements it holds at most (its round trip's budget).
 */
export type StoredScript = { outside: true; statements: Statement[] } | { outside: false; statementCount: number; parsed: boolean };

/**
 * A stored rollback script made ready to run. It is parsed (`runnableStatements`: a syntax error or its
 * own BEGIN/COMMIT refuses it) where it could hold a statement the parse looks for (mayNeedParseToRun),
 * or with `parseAll`; otherwise it runs in its transaction as written, and Postgres checks its syntax
 * (refuseUnparsedSyntax). Load the parser first for a script that needs it (storedScriptsNeedParser).
 */
export function storedScript(version: string, script: string, parseAll = false): StoredScript {
  // Statements end with semicolons, so there are at most one more than it holds (more, counting those in strings and comments).
  if (!parseAll && !mayNeedParseToRun(script)) return { outside: false, statementCount: script.split(";").length, parsed: false };
  const statements = runnableStatements(script, `stored rollback script of ${version}`);
  return needsOutsideTransaction(statements) ? { outside: true, statements } : { outside: false, statementCount: statements.length, parsed: true };
}

/** Whether any of these stored scripts is parsed before it runs (storedScript): the parser must be loaded. */
export function storedScriptsNeedParser(scripts: Iterable<string | null | undefined>): boolean {
  for (const script of scripts) if (script && mayNeedParseToRun(script)) return true;
  return false;
}

/** SQLSTATE syntax_error. Postgres parses a query's whole text before it runs any of it. */
const SYNTAX_ERROR_SQLSTATE = "42601";

/**
 * After Postgres refused a query holding an unparsed stored script for its syntax: the parser's
 * refusal of the script (its file, line and column), as a parse beforehand would have thrown it,
 * since nothing of the query ran. Returns when the script parses: the error was elsewhere.
 */
export async function refuseUnparsedSyntax(version: string, script: string): Promise<void> {
  await loadParser();
  storedScript(version, script, true);
}

/** What a run of rollbacks read once, under the lock, for the version about to be rolled back. */
export interface ReadAhead {
  entry: RollbackLedgerEntry | undefined;
  expansionOpen: boolean;
  run: RollbackRun;
  /** The newest version still applied once this one is rolled back (null: none), known to the run under the lock. */
  currentAfter: string | null;
  /** The stored script, made ready while the version before ran (throws its syntax error). */
  script: () => StoredScript;
  /** Work for the time this version's query is on the server: making the next version's script ready. */
  meanwhile: () => void;
  /** The server process holding the migration lock; the copied ledger writes check they run there. */
  lockPid: number;
  /** Its progress was told already (its first try was in a batch, src/runner/rollback-batch.ts). */
  announced?: boolean;
  /** The lock timeout of that first try: the retries follow it. */
  firstFailure?: unknown;
}

/**
 * What a run of rollbacks carries from one version to the next: the id of its first `rolled_back`
 * event, whose actor and reason were bound parameters. Each later version copies them from it in
 * SQL, so its script, ledger writes and COMMIT are one round trip.
 */
export interface RollbackRun {
  reasonEventId?: number;
}

/** The query ran whole or failed: an error leaves the transaction aborted (or already ended by a failed COMMIT). */
async function inOneTrip(client: pg.ClientBase, sql: string, meanwhile?: () => void): Promise<void> {
  try {
    const sent = client.query(sql);
    meanwhile?.();
    await sent;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** The progress event that a version's rollback starts, with its safety check. */
export function rollbackStarts(version: string, candidate: RollbackCandidate, outside: boolean): ProgressEvent {
  return {
    step: "rollback",
    version,
    message: `rolling back ${version} (${candidate.description})${outside ? " outside a transaction" : ""}; safety check: ${candidate.safety}`,
    detail: { safety: candidate.safety, outsideTransaction: outside },
  };
}

/**
 * One rollback on the run's session, which holds the migration lock (`rollbackMigration` for one
 * version, `rollbackMigrations` for several in one run, which passes what it read of the ledger).
 * Throws the refusal or the failure, recorded.
 */
export async function rollbackInSession(ctx: RunContext, client: pg.Client, options: RollbackOptions, reason: string, read?: ReadAhead): Promise<RollbackReport> {
  const { version } = options;
  const schema = ctx.environment.ledgerSchema;
  // Expand-contract (src/expand/): rolling back an expanded version aborts its expansion.
  if (read ? read.expansionOpen : await hasOpenExpansion(client, schema, version)) {
    // Expand-contract's code (its planner, operations and views) is loaded only for a version that has an open expansion.
    const { abortExpansion } = await import("../expand/index.ts");
    return abortExpansion(ctx, client, version, reason);
  }
  const candidate = read ? rollbackCandidateOf(version, read.entry) : await rollbackCandidate(client, schema, version);
  if (!read && mayNeedParseToRun(candidate.rollbackScript)) await loadParser();
  const script = read ? read.script() : storedScript(version, candidate.rollbackScript);
  const outside = script.outside;
  const label = { version, onProgress: ctx.onProgress };
  if (!read?.announced) await ctx.onProgress?.(rollbackStarts(version, candidate, outside));
  const started = performance.now();
  let lockRetries = 0;
  // After the first query of the transaction, which ends as the ledger writer (LEDGER_WRITER_SQL).
  const archived = wantsArchiveRestore(candidate.rollbackScript);
  const record = async () => {
    // Production safety (src/runner/archive.ts): rows a data change archived go back in the rollback's transaction.
    const restored = archived ? await restoreArchive(client, version) : undefined;
    // The reason is a person's text: a bound parameter, so the writes are a round trip of their own.
    const eventId = await recordRollback(client, schema, { version, actor: ctx.actor, reason, detail: { lockRetries, outsideTransaction: outside, safety: candidate.safety, restored } });
    if (read && read.run.reasonEventId === undefined) read.run.reasonEventId = eventId;
    if (options.trigger) await recordAutoRollback(client, schema, { version, actor: ctx.actor, reason, detail: options.trigger });
  };
  // A later version of a run copies the run's bound reason: script, ledger writes and COMMIT in one round trip.
  const copyFrom = archived || options.trigger ? undefined : read?.run.reasonEventId;
  try {
    if (script.outside) {
      await resetSession(client, ctx.actor, ctx.environment);
      lockRetries = await runStatementsOutsideTransaction(client, ctx.environment, script.statements, label);
      await inTransaction(client, `BEGIN; ${inLedgerSchema(MIGRATION_LOCK_GUARD_SQL, schema)}${LEDGER_WRITER_SQL}`, record);
    } else {
      // The session reset, the lock guard, the timeouts and the script in one round trip; the writes, then COMMIT
      // (with a run's bound reason to copy, the writes and COMMIT end that same round trip, and the writes check the
      // lock's server process themselves, as an apply's do).
      const reset = await sessionResetPrefix(client, ctx.actor, ctx.environment);
      await withLockRetries(ctx.environment, label, async (retry) => {
        lockRetries = retry;
        const guard = copyFrom === undefined ? `${inLedgerSchema(MIGRATION_LOCK_GUARD_SQL, schema)} ` : "";
        const sql = `${migrationQueryLabel("rollback", version)}
${reset}
BEGIN; ${guard}${transactionTimeoutsSql(ctx.environment)}
${candidate.rollbackScript}
;${LEDGER_WRITER_SQL}`;
        await withServerBudget(client, statementsBudgetMs(ctx.environment, script.statementCount + (copyFrom === undefined ? 1 : 2)), () =>
          copyFrom === undefined || !read
            ? inTransaction(client, sql, record, read?.meanwhile)
            : inOneTrip(client, `${sql}${rollbackCopiedRecordSql({ version, detail: { lockRetries, outsideTransaction: false, safety: candidate.safety }, currentAfter: read.currentAfter, lockPid: read.lockPid }, copyFrom, schema)}\nCOMMIT;`, read.meanwhile),
        );
      }, read?.firstFailure);
    }
  } catch (error) {
    if (!script.outside && !script.parsed && sqlstateOf(error) === SYNTAX_ERROR_SQLSTATE) await refuseUnparsedSyntax(version, candidate.rollbackScript);
    return rollbackFailed(ctx, client, { version, reason, outside }, error);
  }
  const report: RollbackReport = {
    environment: ctx.environment.name,
    version,
    reason,
    durationMs: Math.round(performance.now() - started),
    safety: candidate.safety,
  };
  await ctx.onProgress?.({ step: "done", version, message: `${version} rolled back` });
  return report;
}

/**
 * A rollback that failed: a lost connection says what the ledger holds now; a transaction moved off
 * the lock's server process is refused; any other failure is recorded (event and critical
 * notification, in a transaction of its own) and thrown as RollbackFailedError.
 */
export async function rollbackFailed(ctx: RunContext, client: pg.Client, failed: { version: string; reason: string; outside: boolean }, error: unknown): Promise<never> {
  const { version, reason, outside } = failed;
  if (isConnectionLost(error)) {
    throw new ConnectionLostError(`rolling back ${version}`, error, await ledgerAfterLoss(ctx, version, outside));
  }
  const cause = error instanceof LockRetriesExhausted ? error.lastError : error;
  const sqlstate = sqlstateOf(error);
  if (sqlstate === LOCK_NOT_HELD_SQLSTATE) {
    throw new TransactionPoolingError(databaseLabel(ctx.environment.databaseUrl), `the rollback of ${version} ran on a server connection that does not hold the migration lock; it was undone`);
  }
  const message = error instanceof LockRetriesExhausted ? error.message : errorText(cause);
  await resetSession(client, ctx.actor, ctx.environment).catch(() => {});
  const postgres = postgresDetail(cause);
  await recordRollbackFailure(client, ctx.environment.ledgerSchema, { version, actor: ctx.actor, reason, error: message, detail: { sqlstate, outsideTransaction: outside, postgresDetail: postgres.detail, postgresHint: postgres.hint } });
  throw new RollbackFailedError(version, message, sqlstate, error instanceof LockRetriesExhausted);
}
