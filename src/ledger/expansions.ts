import pg from "pg";
import { inLedgerSchema } from "./place.ts";
import { fitActor } from "./records.ts";

/**
 * The state of each expand-contract migration (src/expand/): what its expansion derived and the
 * facts it read (so complete and abort undo exactly what expand did, whatever today's file says),
 * how far it got (steps done, backfill progress per table, so a crash resumes where it stopped),
 * and since when it is expanded. One row per version; `tables` lets one expansion per table be
 * enforced.
 */
export const ROOKERY_EXPANSIONS = `
CREATE TABLE IF NOT EXISTS public.rookery_expansions (
    version VARCHAR(50) PRIMARY KEY,
    state VARCHAR(20) NOT NULL CHECK (state IN ('expanding', 'expanded', 'completed', 'aborted')),
    version_schema TEXT NOT NULL,
    tables TEXT[] NOT NULL,
    plan JSONB NOT NULL,
    steps_done INTEGER NOT NULL DEFAULT 0,
    backfill JSONB NOT NULL DEFAULT '{}'::jsonb,
    started_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    expanded_at TIMESTAMP WITH TIME ZONE,
    finished_at TIMESTAMP WITH TIME ZONE,
    actor VARCHAR(100)
);`;

export type ExpansionState = "expanding" | "expanded" | "completed" | "aborted";

/** Backfill progress of one table: the last key done (as text, one per key column), rows touched. */
export interface BackfillProgress {
  after: string[] | null;
  rows: number;
  /** The table's estimated row count when the backfill started (pg_class.reltuples). */
  estimate: number;
  done: boolean;
}

export interface ExpansionRow {
  version: string;
  state: ExpansionState;
  versionSchema: string;
  tables: string[];
  plan: unknown;
  stepsDone: number;
  backfill: Record<string, BackfillProgress>;
  startedAt: string;
  expandedAt: string | null;
  finishedAt: string | null;
  actor: string | null;
}

interface ExpansionRecord {
  version: string;
  state: ExpansionState;
  version_schema: string;
  tables: string[];
  plan: unknown;
  steps_done: number;
  backfill: Record<string, BackfillProgress>;
  started_at: Date;
  expanded_at: Date | null;
  finished_at: Date | null;
  actor: string | null;
}

function toRow(record: ExpansionRecord): ExpansionRow {
  return {
    version: record.version,
    state: record.state,
    versionSchema: record.version_schema,
    tables: record.tables,
    plan: record.plan,
    stepsDone: record.steps_done,
    backfill: record.backfill,
    startedAt: record.started_at.toISOString(),
    expandedAt: record.expanded_at?.toISOString() ?? null,
    finishedAt: record.finished_at?.toISOString() ?? null,
    actor: record.actor,
  };
}

const SELECT_EXPANSIONS =
  "SELECT version, state, version_schema, tables, plan, steps_done, backfill, started_at, expanded_at, finished_at, actor FROM public.rookery_expansions";

/** Where the ledger predates expansions (a read-only role on an older revision), there are none. */
async function expansionsExist(client: pg.ClientBase, schema: string): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(inLedgerSchema("SELECT to_regclass('public.rookery_expansions') IS NOT NULL AS present", schema));
  return rows[0]?.present === true;
}

export async function readExpansion(client: pg.ClientBase, schema: string, version: string): Promise<ExpansionRow | undefined> {
  if (!(await expansionsExist(client, schema))) return undefined;
  const { rows } = await client.query<ExpansionRecord>(inLedgerSchema(`${SELECT_EXPANSIONS} WHERE version = $1`, schema), [version]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Every expansion ever recorded, in version order (status, plan and health read them). */
export async function readExpansions(client: pg.ClientBase, schema: string): Promise<ExpansionRow[]> {
  if (!(await expansionsExist(client, schema))) return [];
  const { rows } = await client.query<ExpansionRecord>(inLedgerSchema(`${SELECT_EXPANSIONS} ORDER BY version`, schema));
  return rows.map(toRow);
}

/** Whether a version has an expansion that a rollback aborts (expanding or expanded). */
export async function hasOpenExpansion(client: pg.ClientBase, schema: string, version: string): Promise<boolean> {
  return isOpenExpansion(await readExpansion(client, schema, version));
}

/** Expanding or expanded: a rollback of its version aborts the expansion. */
export function isOpenExpansion(row: Pick<ExpansionRow, "state"> | undefined): boolean {
  return row?.state === "expanding" || row?.state === "expanded";
}

/** The versions whose expansion is open, in one read (a run of rollbacks asks once). */
export async function openExpansionVersions(client: pg.ClientBase, schema: string): Promise<Set<string>> {
  return new Set((await readExpansions(client, schema)).filter(isOpenExpansion).map((row) => row.version));
}

/** The open expansion of another version touching one of these tables, if any. */
export async function openExpansionOn(client: pg.ClientBase, schema: string, tables: string[], except: string): Promise<{ version: string; tables: string[] } | undefined> {
  const { rows } = await client.query<{ version: string; tables: string[] }>(
    inLedgerSchema("SELECT version, tables FROM public.rookery_expansions WHERE state IN ('expanding', 'expanded') AND tables && $1::text[] AND version <> $2 ORDER BY started_at LIMIT 1", schema),
    [tables, except],
  );
  return rows[0];
}

/** Version schemas of completed expansions of these tables before this version: their shape is gone once it completes. */
export async function earlierVersionSchemas(client: pg.ClientBase, schema: string, tables: string[], before: string): Promise<string[]> {
  const { rows } = await client.query<{ version_schema: string }>(
    inLedgerSchema("SELECT version_schema FROM public.rookery_expansions WHERE state = 'completed' AND tables && $1::text[] AND version < $2 ORDER BY version", schema),
    [tables, before],
  );
  return rows.map((row) => row.version_schema);
}

/** Starts (or starts again, after an abort) the expansion of a version, before any of its DDL runs. */
export async function recordExpansionStarted(
  client: pg.ClientBase,
  schema: string,
  row: { version: string; versionSchema: string; tables: string[]; plan: unknown; actor: string },
): Promise<void> {
  await client.query(
    inLedgerSchema(`INSERT INTO public.rookery_expansions (version, state, version_schema, tables, plan, steps_done, backfill, actor)
     VALUES ($1, 'expanding', $2, $3, $4::jsonb, 0, '{}'::jsonb, $5)
     ON CONFLICT (version) DO UPDATE SET state = 'expanding', version_schema = EXCLUDED.version_schema, tables = EXCLUDED.tables,
       plan = EXCLUDED.plan, steps_done = 0, backfill = '{}'::jsonb, started_at = NOW(), expanded_at = NULL, finished_at = NULL,
       actor = EXCLUDED.actor`, schema),
    [row.version, row.versionSchema, row.tables, JSON.stringify(row.plan), row.actor.slice(0, 100)],
  );
}

/** In the transaction of an expansion step: the step counts as done exactly when it commits. */
export async function recordStepDone(client: pg.ClientBase, schema: string, version: string, stepsDone: number): Promise<void> {
  await client.query(inLedgerSchema("UPDATE public.rookery_expansions SET steps_done = $2 WHERE version = $1", schema), [version, stepsDone]);
}

/** One table's backfill progress, in the transaction of the batch it describes. */
export async function recordBackfillProgress(client: pg.ClientBase, schema: string, version: string, table: string, progress: BackfillProgress): Promise<void> {
  await client.query(
    inLedgerSchema("UPDATE public.rookery_expansions SET backfill = jsonb_set(backfill, ARRAY[$2::text], $3::jsonb, true) WHERE version = $1", schema),
    [version, table, JSON.stringify(progress)],
  );
}

/**
 * The progress write of one backfill batch as SQL that ends the batch's own data-modifying statement
 * `changed` (a CTE whose rows are the rows it rewrote): the batch and its progress are one statement,
 * so they commit together and cost one round trip. `after` and `done` are SQL expressions over the
 * batch's CTEs (or literals); other values come from the plan, quoted as literals. `changed` is read back from
 * the rows written (less the rows before), so the batch's rows are counted once, not a second time for RETURNING.
 */
export function backfillProgressSql(schema: string, progress: { version: string; table: string; after: string; rowsBefore: number; estimate: number; done: string }): string {
  const literal = pg.escapeLiteral;
  return inLedgerSchema(
    `UPDATE public.rookery_expansions SET backfill = jsonb_set(backfill, ARRAY[${literal(progress.table)}], jsonb_build_object(
       'after', ${progress.after}, 'rows', ${Math.trunc(progress.rowsBefore)} + (SELECT count(*) FROM changed), 'estimate', ${Math.trunc(progress.estimate)}, 'done', ${progress.done}), true)
     WHERE version = ${literal(progress.version)}
     RETURNING ((backfill -> ${literal(progress.table)} ->> 'rows')::bigint - ${Math.trunc(progress.rowsBefore)})::int AS changed, backfill -> ${literal(progress.table)} -> 'after' AS after, (backfill -> ${literal(progress.table)} ->> 'done')::boolean AS done`,
    schema,
  );
}

/** expanded (with its time), completed or aborted (with theirs). */
export async function recordExpansionState(client: pg.ClientBase, schema: string, version: string, state: Exclude<ExpansionState, "expanding">): Promise<void> {
  const column = state === "expanded" ? "expanded_at" : "finished_at";
  await client.query(inLedgerSchema(`UPDATE public.rookery_expansions SET state = $2, ${column} = NOW() WHERE version = $1`, schema), [version, state]);
}

/** A phase of an expansion in the history: expanded, completed, aborted. */
export async function recordExpansionEvent(
  client: pg.ClientBase,
  schema: string,
  event: { version: string; event: string; actor: string; reason?: string; detail?: Record<string, unknown> },
): Promise<void> {
  await client.query(
    inLedgerSchema(`INSERT INTO public.migration_events (migration_type, version, event, actor, reason, success, detail)
     VALUES ('expand-contract', $1, $2, $3, $4, TRUE, $5::jsonb)`, schema),
    [event.version, event.event, fitActor(event.actor), event.reason ?? null, JSON.stringify(event.detail ?? {})],
  );
}
