import type pg from "pg";
import type { Environment } from "../config/index.ts";
import { openExpansionOn, readExpansion, recordExpansionEvent, recordExpansionStarted, recordExpansionState, recordStepDone, type BackfillProgress } from "../ledger/index.ts";
import { appliedRecordFor, type ExecutionResult, type MigrationRun } from "../session/execution.ts";
import { withLockRetries } from "../session/retry.ts";
import { RESET_TIMEOUTS_SQL, statementTimeoutsSql, transactionTimeoutsSql } from "../session/timeouts.ts";
import { runBackfill } from "./backfill.ts";
import { ExpansionConflictError } from "./errors.ts";
import { expansionSteps, planExpansion, touchedTables, type PlanStep } from "./planner.ts";
import type { ExpansionPlan } from "./plan.ts";
import { standInsSql, versionShapes, versionViewsSql } from "./shape.ts";

/** A transaction under the environment's timeouts, retried when a lock is not granted in time. */
async function inShortTransaction(client: pg.ClientBase, environment: Environment, version: string, run: MigrationRun, body: (client: pg.ClientBase) => Promise<void>): Promise<number> {
  let retries = 0;
  await withLockRetries(environment, { version, onProgress: run.context.onProgress }, async (retry) => {
    retries = retry;
    await client.query(`BEGIN; ${transactionTimeoutsSql(environment)}`);
    try {
      await body(client);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
  return retries;
}

/** An index build interrupted by a crash leaves an INVALID index under its name: drop it before building again. */
async function dropInvalidIndex(client: pg.ClientBase, plan: ExpansionPlan, sql: string): Promise<void> {
  const name = /INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+")\s+ON\s+("(?:[^"]|"")+"|[^\s."]+)\./i.exec(sql);
  if (!name) return;
  const index = `${name[2]}.${name[1]}`;
  const { rows } = await client.query<{ invalid: boolean }>("SELECT NOT indisvalid AS invalid FROM pg_index WHERE indexrelid = to_regclass($1)", [index]);
  if (rows[0]?.invalid) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
  void plan;
}

async function runStep(run: MigrationRun, plan: ExpansionPlan, step: PlanStep, index: number, backfill: Record<string, BackfillProgress>): Promise<number> {
  const { client, context } = run;
  const environment = context.environment;
  if (step.kind === "backfill") {
    await runBackfill({ client, environment, plan, table: step.table, work: step.work, progress: backfill[step.table], onProgress: context.onProgress });
    await recordStepDone(client, environment.ledgerSchema, plan.version, index + 1);
    return 0;
  }
  if (step.outsideTransaction) {
    await dropInvalidIndex(client, plan, step.sql);
    let retries = 0;
    await withLockRetries(environment, { version: plan.version, onProgress: context.onProgress }, async (retry) => {
      retries = retry;
      try {
        await client.query(statementTimeoutsSql(environment, true));
        await client.query(step.sql);
      } finally {
        await client.query(RESET_TIMEOUTS_SQL).catch(() => {});
      }
    });
    await recordStepDone(client, environment.ledgerSchema, plan.version, index + 1);
    return retries;
  }
  return inShortTransaction(client, environment, plan.version, run, async (tx) => {
    await tx.query(step.sql);
    await recordStepDone(tx, environment.ledgerSchema, plan.version, index + 1);
  });
}

/**
 * Expand of an expand-contract migration (src/expand/): the executor `apply` uses for a file whose
 * header says `-- rookery:expand-contract`. Only additive changes on the live tables, each step
 * committed with its count in the ledger, the backfill in batches, then the new version's views and
 * the ledger row (applied, expanded) in one last transaction. An interrupted expand resumes where it
 * stopped the next time the version is applied; `rookery rollback` aborts it.
 */
export async function executeExpandContract(run: MigrationRun): Promise<ExecutionResult> {
  const { client, context, migration } = run;
  const environment = context.environment;
  const ledger = environment.ledgerSchema;
  const existing = await readExpansion(client, ledger, migration.version);
  let plan: ExpansionPlan;
  let stepsDone = 0;
  let backfill: Record<string, BackfillProgress> = {};
  if (existing?.state === "expanding") {
    plan = existing.plan as ExpansionPlan;
    stepsDone = existing.stepsDone;
    backfill = existing.backfill;
    await context.onProgress?.({ step: "apply", version: migration.version, message: `${migration.version}: resuming its interrupted expand at step ${stepsDone + 1}` });
  } else {
    plan = await planExpansion(client, migration, run.statements, environment.backfillBatchSize);
    const tables = touchedTables(plan);
    const other = await openExpansionOn(client, ledger, tables, migration.version);
    if (other) throw new ExpansionConflictError(migration.version, other.version, other.tables.filter((table) => tables.includes(table)));
    await recordExpansionStarted(client, ledger, { version: plan.version, versionSchema: plan.versionSchema, tables, plan, actor: context.actor });
  }
  const steps = expansionSteps(plan);
  let lockRetries = 0;
  for (let index = stepsDone; index < steps.length; index++) {
    const step = steps[index]!;
    await context.onProgress?.({
      step: "apply",
      version: migration.version,
      message: `${migration.version}: expand step ${index + 1}/${steps.length + 1}: ${step.kind === "backfill" ? `backfill ${plan.facts[step.table]!.name} in batches of ${plan.batchSize}` : step.label}`,
      detail: { expand: true, step: index + 1 },
    });
    lockRetries += await runStep(run, plan, step, index, backfill);
  }
  const shapes = versionShapes(plan);
  const views = [...versionViewsSql(plan, shapes, { identity: false, securityInvoker: plan.securityInvoker }), ...standInsSql(plan, shapes)];
  lockRetries += await inShortTransaction(client, environment, plan.version, run, async (tx) => {
    await tx.query(views.join(";\n"));
    await recordExpansionState(tx, ledger, plan.version, "expanded");
    await recordExpansionEvent(tx, ledger, { version: plan.version, event: "expanded", actor: context.actor, detail: { versionSchema: plan.versionSchema, tables: touchedTables(plan) } });
    await tx.query(appliedRecordFor(run, { lockRetries, outsideTransaction: false, expandContract: "expanded", versionSchema: plan.versionSchema }));
  });
  await context.onProgress?.({
    step: "apply",
    version: migration.version,
    message: `${migration.version}: expanded; the new release uses search_path ${plan.versionSchema}, then \`rookery complete ${migration.version}\``,
    detail: { versionSchema: plan.versionSchema },
  });
  return { outsideTransaction: false, lockRetries };
}
