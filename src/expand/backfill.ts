import type pg from "pg";
import type { Environment } from "../config/index.ts";
import { recordBackfillProgress, type BackfillProgress } from "../ledger/index.ts";
import { withLockRetries } from "../runner/retry.ts";
import { transactionTimeoutsSql } from "../runner/timeouts.ts";
import type { ProgressListener } from "../runner/types.ts";
import { ident, qualified, type BackfillWork, type ExpansionPlan } from "./plan.ts";

export interface BackfillRun {
  client: pg.ClientBase;
  environment: Environment;
  plan: ExpansionPlan;
  table: string;
  work: BackfillWork;
  /** Where an earlier, interrupted backfill stopped. */
  progress: BackfillProgress | undefined;
  onProgress?: ProgressListener;
}

/** Progress is reported about every this many milliseconds. */
const REPORT_EVERY_MS = 2000;

/**
 * Rewrites a table's rows in batches of `plan.batchSize` in key order, each batch its own short
 * transaction under the lock timeout (retried like a migration when a lock is not granted) that
 * also records how far it got, so a killed backfill resumes after the last batch that committed and
 * no batch is done twice. The sync trigger stands aside for these transactions (`rookery.backfill`).
 */
export async function runBackfill(run: BackfillRun): Promise<BackfillProgress> {
  const { client, environment, plan, table, work } = run;
  const facts = plan.facts[table]!;
  const key = facts.key.map(ident);
  const keyTypes = facts.key.map((name) => facts.columns.find((column) => column.name === name)!.type);
  const target = qualified(facts);
  // The batch's own column names cannot clash with a column the assignments name.
  const batchKey = facts.key.map((_, index) => `rookery_key_${index}`);
  const after = (offset: number) => `(${key.join(", ")}) > (${keyTypes.map((type, index) => `$${offset + index}::text::${type}`).join(", ")})`;
  const batchSql = (resuming: boolean) => `
WITH batch AS (
  SELECT ${key.map((column, index) => `${column} AS ${batchKey[index]}`).join(", ")} FROM ${target}
  ${resuming ? `WHERE ${after(2)}` : ""}
  ORDER BY ${key.join(", ")} LIMIT $1
), changed AS (
  UPDATE ${target} SET ${work.set.join(", ")}
  FROM batch WHERE ${key.map((column, index) => `${target}.${column} = batch.${batchKey[index]}`).join(" AND ")}${work.where ? ` AND (${work.where})` : ""}
  RETURNING 1
), last AS (
  SELECT ARRAY[${batchKey.map((column) => `${column}::text`).join(", ")}] AS key FROM batch
  ORDER BY ${batchKey.join(" DESC, ")} DESC LIMIT 1
)
SELECT (SELECT count(*) FROM batch)::int AS seen, (SELECT count(*) FROM changed)::int AS changed, (SELECT key FROM last) AS last`;

  let progress: BackfillProgress = run.progress ?? { after: null, rows: 0, estimate: await estimateRows(client, target), done: false };
  let reported = performance.now();
  while (!progress.done) {
    const current = progress;
    const next = await withLockRetries(environment, { version: plan.version, onProgress: run.onProgress }, async () => {
      await client.query(`BEGIN; ${transactionTimeoutsSql(environment)} SELECT set_config('rookery.backfill', 'on', true);`);
      try {
        const params: unknown[] = [plan.batchSize, ...(current.after ?? [])];
        const { rows } = await client.query<{ seen: number; changed: number; last: string[] | null }>(batchSql(current.after !== null), params);
        const row = rows[0]!;
        const advanced: BackfillProgress = {
          after: row.last ?? current.after,
          rows: current.rows + row.changed,
          estimate: current.estimate,
          done: row.seen < plan.batchSize,
        };
        await recordBackfillProgress(client, environment.ledgerSchema, plan.version, table, advanced);
        await client.query("COMMIT");
        return advanced;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    });
    progress = next;
    if (performance.now() - reported >= REPORT_EVERY_MS || progress.done) {
      reported = performance.now();
      await run.onProgress?.({
        step: "apply",
        version: plan.version,
        message: `${plan.version}: backfill of ${facts.name}: ${progress.rows} rows${progress.estimate > 0 ? ` of about ${progress.estimate}` : ""}${progress.done ? ", done" : ""}`,
        detail: { backfill: facts.name, rows: progress.rows, estimate: progress.estimate, done: progress.done },
      });
    }
  }
  return progress;
}

async function estimateRows(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ estimate: number }>("SELECT GREATEST(reltuples, 0)::bigint::int AS estimate FROM pg_class WHERE oid = to_regclass($1)", [table]);
  return rows[0]?.estimate ?? 0;
}
