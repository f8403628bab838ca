import pg from "pg";
import type { Environment } from "../config/index.ts";
import { backfillProgressSql, type BackfillProgress } from "../ledger/index.ts";
import { withLockRetries } from "../session/retry.ts";
import { transactionTimeoutsSql } from "../session/timeouts.ts";
import type { ProgressListener } from "../session/context.ts";
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
 * A batch's COMMIT does not wait for its WAL to reach disk (`synchronous_commit = off`, this transaction
 * only): waiting for each of a million-row backfill's thousand flushes was about a quarter of its time.
 * Nothing is lost that matters: a batch's rows and its progress are one transaction, and a crash loses
 * whole transactions from the end of the WAL, never one without the other, so the resume starts after
 * the last batch that survived and redoes the rest. What follows the backfill (validation, the
 * expansion's state, the ledger) commits as the server is configured, which flushes every batch
 * before it. Where synchronous replication is configured the server's own setting stays: there each
 * commit also waits for a standby, and a backfill freed of that wait could run ahead of it.
 */
const BATCH_COMMITS_WITHOUT_FLUSH = "SELECT set_config('synchronous_commit', 'off', true) WHERE current_setting('synchronous_standby_names') = '';";

/** The largest value of each integer type a key range may reach (a range never runs past it). */
const INTEGER_KEY_MAX: Record<string, bigint> = { smallint: 32767n, integer: 2147483647n, bigint: 9223372036854775807n };

/**
 * Rewrites a table's rows in batches of `plan.batchSize` in key order, each batch its own short
 * transaction under the lock timeout (retried like a migration when a lock is not granted). A batch
 * is a key range (up to the key of its last row), rewritten by one range UPDATE, as a hand-written
 * `WHERE id BETWEEN` loop would; the same statement records how far it got and how many rows it
 * rewrote, so a killed backfill resumes after the last batch that committed and no batch is done twice.
 * The sync trigger stands aside for these transactions (`rookery.backfill`, tested in its WHEN clause).
 *
 * A batch's range is found by counting `batchSize` keys ahead, except on a dense integer key: where
 * the last batch's range held about `batchSize` keys, the next one is simply the next `batchSize`
 * key values (`id > a AND id <= a + batchSize`), so no lookup walks the index first, the batch is the
 * range a psql loop would write, and a unique key cannot put more than `batchSize` rows in it. A range
 * that comes back with fewer than half that many rows (a sparse stretch, or rows already filled)
 * sends the next batch back to counting.
 */
export async function runBackfill(run: BackfillRun): Promise<BackfillProgress> {
  const { client, environment, plan, table, work } = run;
  const facts = plan.facts[table]!;
  const key = `(${facts.key.map(ident).join(", ")})`;
  const keyTypes = facts.key.map((name) => facts.columns.find((column) => column.name === name)!.type);
  const target = qualified(facts);
  const keyValue = (values: string[]) => `(${values.map((value, index) => `${pg.escapeLiteral(value)}::${keyTypes[index]}`).join(", ")})`;
  const begin = `BEGIN; ${transactionTimeoutsSql(environment)} SELECT set_config('rookery.backfill', 'on', true); ${BATCH_COMMITS_WITHOUT_FLUSH}`;

  let progress: BackfillProgress = run.progress ?? { after: null, rows: 0, estimate: await estimateRows(client, target), done: false };
  const afterJson = (values: string[] | null) => (values === null ? "'null'::jsonb" : `${pg.escapeLiteral(JSON.stringify(values))}::jsonb`);
  const progressSql = (current: BackfillProgress, after: string, done: string) =>
    backfillProgressSql(environment.ledgerSchema, { version: plan.version, table, after, rowsBefore: current.rows, estimate: current.estimate, done });
  const rewrite = (range: string) => `UPDATE ${target} SET ${work.set.join(", ")} WHERE ${range}${work.where ? ` AND (${work.where})` : ""} RETURNING 1`;

  /** A one-column key: the batch's range, its rewrite and its progress in one statement, one round trip. */
  const oneTrip = async (current: BackfillProgress, lower: string): Promise<BackfillProgress> => {
    const column = ident(facts.key[0]!);
    const results = (await client.query(`${begin}
WITH bound AS (SELECT ${column} AS upper FROM ${target} WHERE ${lower} ORDER BY ${column} OFFSET ${plan.batchSize - 1} LIMIT 1),
last AS (SELECT COALESCE((SELECT upper FROM bound), (SELECT max(${column}) FROM ${target})) AS upper),
changed AS (${rewrite(`${lower} AND ${column} <= (SELECT upper FROM last)`)})
${progressSql(current, `COALESCE(to_jsonb(ARRAY[(SELECT upper FROM last)::text]), ${afterJson(current.after)})`, "NOT EXISTS (SELECT 1 FROM bound)")};
COMMIT;`)) as unknown as pg.QueryResult<{ changed: number; after: string[] | null; done: boolean }>[];
    const row = results.find((result) => result.command === "UPDATE")!.rows[0]!;
    return { after: row.after, rows: current.rows + row.changed, estimate: current.estimate, done: row.done };
  };

  /** A key of several columns: the batch's last key first, then the range rewrite with its progress. */
  const twoTrips = async (current: BackfillProgress, lower: string): Promise<BackfillProgress> => {
    const found = (await client.query(
      `${begin} SELECT ARRAY[${facts.key.map((name) => `${ident(name)}::text`).join(", ")}] AS bound FROM ${target} WHERE ${lower} ORDER BY ${key} OFFSET ${plan.batchSize - 1} LIMIT 1`,
    )) as unknown as pg.QueryResult<{ bound: string[] }>[];
    const bound = found.at(-1)?.rows[0]?.bound ?? null;
    const upper = bound ? `${key} <= ${keyValue(bound)}` : "TRUE";
    const after = bound ?? current.after;
    const results = (await client.query(`WITH changed AS (${rewrite(`${lower} AND ${upper}`)})
${progressSql(current, afterJson(after), String(bound === null))};
COMMIT;`)) as unknown as pg.QueryResult<{ changed: number }>[];
    return { after, rows: current.rows + (results[0]?.rows[0]?.changed ?? 0), estimate: current.estimate, done: bound === null };
  };

  const integerMax = facts.key.length === 1 ? INTEGER_KEY_MAX[keyTypes[0]!] : undefined;
  /**
   * A dense integer key: the batch is the next `batchSize` key values, its progress in the same statement.
   * Done when no key is past the range: asked as max(key), one step down the index; a `NOT EXISTS (... WHERE
   * key > upper)` was planned as a sequential scan that walked every row already done before finding one.
   */
  const keyRange = async (current: BackfillProgress, after: bigint, max: bigint): Promise<BackfillProgress> => {
    const column = ident(facts.key[0]!);
    const upperKey = after + BigInt(plan.batchSize) < max ? after + BigInt(plan.batchSize) : max;
    const upper = keyValue([String(upperKey)]);
    const results = (await client.query(`${begin}
WITH changed AS (${rewrite(`${column} > ${keyValue([String(after)])} AND ${column} <= ${upper}`)})
${progressSql(current, afterJson([String(upperKey)]), `COALESCE((SELECT max(${column}) FROM ${target}) <= ${upper}, TRUE)`)};
COMMIT;`)) as unknown as pg.QueryResult<{ changed: number; after: string[] | null; done: boolean }>[];
    const row = results.find((result) => result.command === "UPDATE")!.rows[0]!;
    return { after: row.after, rows: current.rows + row.changed, estimate: current.estimate, done: row.done };
  };

  let ranged = false;
  let reported = performance.now();
  while (!progress.done) {
    const current = progress;
    const lower = current.after ? `${key} > ${keyValue(current.after)}` : "TRUE";
    const byRange = ranged && integerMax !== undefined && current.after !== null;
    progress = await withLockRetries(environment, { version: plan.version, onProgress: run.onProgress }, async () => {
      try {
        if (byRange) return await keyRange(current, BigInt(current.after![0]!), integerMax);
        return facts.key.length === 1 ? await oneTrip(current, lower) : await twoTrips(current, lower);
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    });
    if (integerMax !== undefined && !progress.done) ranged = nextBatchByRange(plan.batchSize, byRange, current, progress);
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

/**
 * Whether the next batch on an integer key is a key range: after a range, when it rewrote at least
 * half a batch; after a counted batch, when its `batchSize` rows spanned at most twice as many key
 * values (the first batch, with nothing before it, cannot tell).
 */
function nextBatchByRange(batchSize: number, wasRange: boolean, before: BackfillProgress, after: BackfillProgress): boolean {
  if (wasRange) return after.rows - before.rows >= batchSize / 2;
  if (before.after === null || after.after === null) return false;
  return BigInt(after.after[0]!) - BigInt(before.after[0]!) <= BigInt(2 * batchSize);
}

async function estimateRows(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ estimate: number }>("SELECT GREATEST(reltuples, 0)::bigint::int AS estimate FROM pg_class WHERE oid = to_regclass($1)", [table]);
  return rows[0]?.estimate ?? 0;
}
