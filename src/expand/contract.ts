import type pg from "pg";
import { earlierVersionSchemas, inLedgerSchema, MIGRATION_LOCK_GUARD_SQL, readExpansion, recordExpansionEvent, recordExpansionState, recordRollback, type ExpansionRow } from "../ledger/index.ts";
import { withLockRetries } from "../session/retry.ts";
import { withRunnerSession } from "../session/session.ts";
import { transactionTimeoutsSql } from "../session/timeouts.ts";
import type { RunContext } from "../session/context.ts";
import { ExpansionStateError } from "./errors.ts";
import { operationOf } from "./operations/index.ts";
import { ident, tableKey, type ExpansionPlan, type OperationSpec } from "./plan.ts";
import { touchedTables } from "./planner.ts";
import { dropSyncTriggerSql, syncRules, versionShapes, versionViewsSql } from "./shape.ts";

export interface CompleteReport {
  environment: string;
  version: string;
  versionSchema: string;
  durationMs: number;
  lockRetries: number;
  /** A rehearsal's complete: the contract ran whole, its locks taken, and its transaction was rolled back. */
  rolledBack?: true;
}

/** What an abort reports: the rollback report of an expanded version (runner/rollback returns it as its own). */
export interface AbortReport {
  environment: string;
  version: string;
  reason: string;
  durationMs: number;
  safety: "SAFE_TO_ROLLBACK";
}

/**
 * Table-level operations go last: the column operations' SQL names the table by its old name. Dropped
 * columns go after the other column operations: an index or check over a dropped column and a changed
 * one has a copy on the changed column's shadow, renamed at complete, which the drop then takes with it.
 */
function completionOrder(specs: OperationSpec[]): OperationSpec[] {
  const rank = (spec: OperationSpec) => (spec.op === "rename-table" || spec.op === "drop-table" ? 2 : spec.op === "drop-column" ? 1 : 0);
  return [...specs].sort((a, b) => rank(a) - rank(b));
}

async function openExpansion(client: pg.ClientBase, schema: string, version: string, action: "complete" | "abort"): Promise<ExpansionRow> {
  const row = await readExpansion(client, schema, version);
  if (!row) {
    throw new ExpansionStateError(`${version} was never expanded here: only an expand-contract migration that \`rookery apply\` expanded can be ${action === "complete" ? "completed" : "aborted"}`, {
      hint: "See `rookery status` for its state.",
    });
  }
  if (row.state === "completed") throw new ExpansionStateError(`${version} is completed already (since ${row.finishedAt})`, { hint: "Nothing to do." });
  if (row.state === "aborted") throw new ExpansionStateError(`${version} was rolled back (its expansion aborted at ${row.finishedAt})`, { hint: `Apply it again to expand it: rookery apply ${version}` });
  if (action === "complete" && row.state === "expanding") {
    throw new ExpansionStateError(`${version} has not finished expanding (${row.stepsDone} steps done)`, {
      hint: `Run \`rookery apply ${version}\` to resume it, or \`rookery rollback ${version} --reason ...\` to abort it.`,
    });
  }
  return row;
}

async function inGuardedTransaction(ctx: RunContext, client: pg.ClientBase, version: string, sql: string[], finish: () => Promise<void>, end: "COMMIT" | "ROLLBACK" = "COMMIT"): Promise<number> {
  let retries = 0;
  await withLockRetries(ctx.environment, { version, onProgress: ctx.onProgress }, async (retry) => {
    retries = retry;
    await client.query(`BEGIN; ${inLedgerSchema(MIGRATION_LOCK_GUARD_SQL, ctx.environment.ledgerSchema)} ${transactionTimeoutsSql(ctx.environment)}`);
    try {
      await client.query(sql.join(";\n"));
      await finish();
      await client.query(end);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
  return retries;
}

/**
 * A view, a generated column or another table's foreign key still using what the contract drops: Postgres
 * refuses the drop (2BP01) and hints at CASCADE, which an expand-contract file cannot say and which would
 * drop them silently. The way is to change them first, once the old release no longer needs them. The
 * message carries Postgres's DETAIL (what depends on it), so no cause: it would print twice.
 */
function dependentsError(version: string, error: unknown): ExpansionStateError | undefined {
  const pgError = error as { code?: string; message?: string; detail?: string };
  if (pgError?.code !== "2BP01") return undefined;
  return new ExpansionStateError(`${version} cannot complete: ${pgError.message}${pgError.detail ? `\n${pgError.detail}` : ""}`, {
    hint: `Nothing of the contract was applied; ${version} stays expanded. Drop or change what depends on it in a plain migration (rookery apply) once the old release no longer uses it, then run \`rookery complete ${version}\` again; or abort: rookery rollback ${version} --reason ...`,
  });
}

/**
 * Contract (`rookery complete VERSION`): in one transaction under the lock timeout, the triggers go,
 * each operation's destructive part runs (old columns dropped, shadows renamed, NOT NULL set from the
 * validated checks, tables renamed or dropped), and the version's views are made again over the
 * tables' new shape, so the new release keeps working. Schemas of earlier completed versions of the
 * same tables go too: their shape no longer exists.
 *
 * `rehearsal` (rookery rehearse): the same transaction, its locks taken and held as long as the real
 * one holds them, then rolled back, so the expansion stays expanded and the rehearsal can abort it.
 */
export async function completeExpansion(ctx: RunContext, options: { version: string; rehearsal?: boolean }): Promise<CompleteReport> {
  return withRunnerSession(ctx, async (client) => {
    const ledger = ctx.environment.ledgerSchema;
    const row = await openExpansion(client, ledger, options.version, "complete");
    const plan = row.plan as ExpansionPlan;
    const started = performance.now();
    await ctx.onProgress?.({
      step: "apply",
      version: plan.version,
      message: options.rehearsal
        ? `rehearsing the complete of ${plan.version}: its transaction runs whole, then is rolled back`
        : `completing ${plan.version}: the old shape of ${touchedTables(plan).join(", ")} goes`,
    });
    const shapes = versionShapes(plan);
    const rules = syncRules(plan, shapes);
    const earlier = await earlierVersionSchemas(client, ledger, row.tables, plan.version);
    const sql = [
      ...earlier.map((schema) => `DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`),
      ...[...rules.keys()].flatMap((key) => dropSyncTriggerSql(plan, plan.facts[key]!)),
      ...completionOrder(plan.specs).flatMap((spec) => operationOf(spec).complete(spec, plan.facts[tableKey(spec.table)]!)),
      `DROP SCHEMA IF EXISTS ${ident(plan.versionSchema)} CASCADE`,
      ...versionViewsSql(plan, shapes, { identity: true, securityInvoker: plan.securityInvoker }),
    ];
    const lockRetries = await inGuardedTransaction(ctx, client, plan.version, sql, async () => {
      await recordExpansionState(client, ledger, plan.version, "completed");
      await recordExpansionEvent(client, ledger, { version: plan.version, event: "completed", actor: ctx.actor, detail: { versionSchema: plan.versionSchema, lockRetries: 0 } });
    }, options.rehearsal ? "ROLLBACK" : "COMMIT").catch((error: unknown) => {
      throw dependentsError(plan.version, error) ?? error;
    });
    const report = { environment: ctx.environment.name, version: plan.version, versionSchema: plan.versionSchema, durationMs: Math.round(performance.now() - started), lockRetries };
    if (options.rehearsal) return { ...report, rolledBack: true };
    await ctx.onProgress?.({ step: "done", version: plan.version, message: `${plan.version} completed` });
    return report;
  });
}

/**
 * Abort (`rookery rollback VERSION` while expanded, or while an interrupted expand is pending): in
 * one transaction, the triggers, every column, constraint and index the expansion added, and the
 * version's schema go; the tables are exactly as before, with the rows written meanwhile. The ledger
 * row becomes rolled_back with the reason, like any rollback.
 */
export async function abortExpansion(ctx: RunContext, client: pg.ClientBase, version: string, reason: string): Promise<AbortReport> {
  const ledger = ctx.environment.ledgerSchema;
  const row = await openExpansion(client, ledger, version, "abort");
  const plan = row.plan as ExpansionPlan;
  const started = performance.now();
  await ctx.onProgress?.({ step: "rollback", version, message: `rolling back ${version}: aborting its expansion (${row.state}); the tables go back to exactly their old shape` });
  const shapes = versionShapes(plan);
  const rules = syncRules(plan, shapes);
  const sql = [
    ...[...rules.keys()].flatMap((key) => dropSyncTriggerSql(plan, plan.facts[key]!)),
    // The views read the added columns: they go first.
    `DROP SCHEMA IF EXISTS ${ident(plan.versionSchema)} CASCADE`,
    ...[...plan.specs].reverse().flatMap((spec) => operationOf(spec).abort(spec, plan.facts[tableKey(spec.table)]!)),
  ];
  let retries = 0;
  retries = await inGuardedTransaction(ctx, client, version, sql, async () => {
    await recordExpansionState(client, ledger, version, "aborted");
    await recordRollback(client, ledger, { version, actor: ctx.actor, reason, detail: { expandContract: "aborted", was: row.state, lockRetries: retries } });
    await recordExpansionEvent(client, ledger, { version, event: "aborted", actor: ctx.actor, reason, detail: { was: row.state } });
  });
  await ctx.onProgress?.({ step: "done", version, message: `${version} rolled back: its expansion is aborted` });
  return { environment: ctx.environment.name, version, reason, durationMs: Math.round(performance.now() - started), safety: "SAFE_TO_ROLLBACK" };
}
