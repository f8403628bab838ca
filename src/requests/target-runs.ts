import type pg from "pg";
import { UsageError } from "../errors.ts";
import { SUMMARY_FAILURES, type RunTally } from "../targets/run-state.ts";
import { enqueueOutbox } from "./outbox.ts";
import { selectRequest } from "./rows.ts";
import { inTransaction } from "./transaction.ts";
import type { ChangeRequest } from "./types.ts";

/**
 * One row per database of a request across targets (docs/targets.md): what ran where, in Postgres, so a
 * worker killed mid-fleet, a lost Redis or a resume loses nothing. `step` orders the groups that run one
 * after the other (a target, a fleet's wave, at most maxParallel of it); `round` grows with every resume so
 * the databases' jobs get new ids.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS rookery_control.target_runs (
  request_id uuid NOT NULL REFERENCES rookery_control.requests (id) ON DELETE CASCADE,
  target text NOT NULL,
  database text NOT NULL,
  position integer NOT NULL,
  step integer NOT NULL,
  wave integer NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'applied', 'up_to_date', 'failed')),
  round integer NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  applied text[] NOT NULL DEFAULT '{}',
  error text,
  duration_ms integer,
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (request_id, target, database)
);
-- A rollback across targets names each database's versions when it is asked (newest first).
ALTER TABLE rookery_control.target_runs ADD COLUMN IF NOT EXISTS versions text[] NOT NULL DEFAULT '{}';`;

export type TargetRunStatus = "pending" | "running" | "applied" | "up_to_date" | "failed";

export interface TargetRunRow {
  requestId: string;
  target: string;
  database: string;
  position: number;
  step: number;
  wave: number;
  status: TargetRunStatus;
  round: number;
  attempts: number;
  applied: string[];
  /** A rollback's versions to roll back there, newest first; empty for an apply. */
  versions: string[];
  error: string | null;
  durationMs: number | null;
}

export type PlannedRun = Pick<TargetRunRow, "target" | "database" | "position" | "step" | "wave"> & { versions?: string[] };

const FINISHED: readonly TargetRunStatus[] = ["applied", "up_to_date", "failed"];

export function isFinished(row: Pick<TargetRunRow, "status">): boolean {
  return FINISHED.includes(row.status);
}

const ensured = new WeakSet<pg.Pool>();

export async function ensureTargetRuns(pool: pg.Pool): Promise<void> {
  if (ensured.has(pool)) return;
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('rookery_control.schema'))");
    await client.query(DDL);
  });
  ensured.add(pool);
}

interface Row {
  request_id: string;
  target: string;
  database: string;
  position: number;
  step: number;
  wave: number;
  status: TargetRunStatus;
  round: number;
  attempts: number;
  applied: string[];
  versions: string[];
  error: string | null;
  duration_ms: number | null;
}

function toRun(row: Row): TargetRunRow {
  return {
    requestId: row.request_id,
    target: row.target,
    database: row.database,
    position: row.position,
    step: row.step,
    wave: row.wave,
    status: row.status,
    round: row.round,
    attempts: row.attempts,
    applied: row.applied,
    versions: row.versions,
    error: row.error,
    durationMs: row.duration_ms,
  };
}

/** The plan of a request, written once: a second writer (a re-delivered job) changes nothing. */
export async function planTargetRuns(db: pg.Pool | pg.PoolClient, requestId: string, runs: PlannedRun[]): Promise<void> {
  if (runs.length === 0) return;
  await db.query(
    `INSERT INTO rookery_control.target_runs (request_id, target, database, position, step, wave, versions)
     SELECT $1, target, database, position, step, wave, ARRAY(SELECT jsonb_array_elements_text(versions))
       FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::jsonb[]) AS run(target, database, position, step, wave, versions)
     ON CONFLICT DO NOTHING`,
    [
      requestId,
      runs.map((run) => run.target),
      runs.map((run) => run.database),
      runs.map((run) => run.position),
      runs.map((run) => run.step),
      runs.map((run) => run.wave),
      runs.map((run) => JSON.stringify(run.versions ?? [])),
    ],
  );
}

export async function listTargetRuns(pool: pg.Pool, requestId: string): Promise<TargetRunRow[]> {
  const { rows } = await pool.query<Row>(`SELECT * FROM rookery_control.target_runs WHERE request_id = $1 ORDER BY position`, [requestId]);
  return rows.map(toRun);
}

/**
 * The rows of the step to run now: the lowest step with a database not finished ([] when every one is).
 * Only that step is read, so a request's job between steps reads its step, not the whole fleet.
 */
export async function listCurrentStep(pool: pg.Pool, requestId: string): Promise<TargetRunRow[]> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM rookery_control.target_runs WHERE request_id = $1 AND step = (
       SELECT min(step) FROM rookery_control.target_runs WHERE request_id = $1 AND status IN ('pending', 'running'))
     ORDER BY position`,
    [requestId],
  );
  return rows.map(toRun);
}

interface TallyRow {
  target: string;
  databases: number;
  pending: number;
  running: number;
  applied: number;
  up_to_date: number;
  failed: number;
  waves: number;
  furthest_wave: number;
  first_failed_wave: number;
  slowest: { database: string; durationMs: number } | null;
  failures: { database: string; error: string }[];
}

/**
 * The run counted per target, in run order, by the control database (src/targets/run-state.ts RunTally):
 * what a database's job needs to know whether the run halted and to write the summary, in one line per
 * target however many databases the fleet has.
 */
export async function tallyTargetRuns(pool: pg.Pool, requestId: string): Promise<RunTally[]> {
  const { rows } = await pool.query<TallyRow>(
    `SELECT target, count(*)::int AS databases,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*) FILTER (WHERE status = 'applied')::int AS applied,
            count(*) FILTER (WHERE status = 'up_to_date')::int AS up_to_date,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            max(wave) AS waves,
            coalesce(max(wave) FILTER (WHERE status <> 'pending'), 0) AS furthest_wave,
            coalesce(min(wave) FILTER (WHERE status = 'failed'), 0) AS first_failed_wave,
            (array_agg(jsonb_build_object('database', database, 'durationMs', duration_ms) ORDER BY duration_ms DESC, position)
               FILTER (WHERE duration_ms IS NOT NULL))[1] AS slowest,
            coalesce(to_jsonb((array_agg(jsonb_build_object('database', database, 'error', left(coalesce(error, ''), 200)) ORDER BY position)
               FILTER (WHERE status = 'failed'))[1:$2]), '[]') AS failures
       FROM rookery_control.target_runs WHERE request_id = $1
      GROUP BY target ORDER BY min(position)`,
    [requestId, SUMMARY_FAILURES],
  );
  return rows.map((row) => ({
    target: row.target,
    databases: row.databases,
    pending: row.pending,
    running: row.running,
    applied: row.applied,
    upToDate: row.up_to_date,
    failed: row.failed,
    waves: row.waves,
    furthestWave: row.furthest_wave,
    firstFailedWave: row.first_failed_wave,
    slowest: row.slowest,
    failures: row.failures,
  }));
}

/** A database's job starts (or restarts after a crash); null when it already finished. */
export async function startTargetRun(pool: pg.Pool, requestId: string, target: string, database: string): Promise<TargetRunRow | null> {
  const { rows } = await pool.query<Row>(
    `UPDATE rookery_control.target_runs SET status = 'running', attempts = attempts + 1, started_at = now()
      WHERE request_id = $1 AND target = $2 AND database = $3 AND status IN ('pending', 'running') RETURNING *`,
    [requestId, target, database],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function finishTargetRun(
  pool: pg.Pool,
  key: { requestId: string; target: string; database: string },
  outcome: { status: TargetRunStatus; applied: string[]; error: string | null; durationMs: number },
): Promise<void> {
  // What this attempt applied joins what earlier rounds of the request applied there (a database that failed
  // halfway, then resumed): the row is what the request did on the database, which its rollback and watch undo.
  await pool.query(
    `UPDATE rookery_control.target_runs
        SET status = $4, error = $6, duration_ms = $7, finished_at = now(),
            applied = applied || ARRAY(SELECT version FROM unnest($5::text[]) WITH ORDINALITY AS each(version, n) WHERE version <> ALL(applied) ORDER BY n)
      WHERE request_id = $1 AND target = $2 AND database = $3`,
    [key.requestId, key.target, key.database, outcome.status, outcome.applied, outcome.error, outcome.durationMs],
  );
}

/**
 * A failed request across targets runs again (after a fix): the databases that failed or never started go
 * back to pending in a new round, the applied ones stay as they are, and the request goes back through
 * the outbox. Returns the request as it is now.
 */
export async function resumeTargetRuns(pool: pg.Pool, requestId: string): Promise<ChangeRequest> {
  await ensureTargetRuns(pool);
  return inTransaction(pool, async (client) => {
    const request = await selectRequest(client, requestId, { forUpdate: true });
    if (!request) throw new UsageError(`there is no request ${requestId}`, { hint: "The request id is in the request's message." });
    const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM rookery_control.target_runs WHERE request_id = $1`, [requestId]);
    if (Number(rows[0]!.count) === 0) {
      throw new UsageError(`request ${requestId} did not run across targets, so there is nothing to resume`, {
        hint: "Resume is for applies across targets and fleets (docs/targets.md); ask again for anything else.",
      });
    }
    if (request.status !== "failed") {
      throw new UsageError(`request ${requestId} is ${request.status}; only a failed request is resumed`, {
        hint: request.status === "succeeded" ? "Nothing is left to run." : "It is still on its way; `rookery status` shows where it is.",
      });
    }
    await client.query(
      `UPDATE rookery_control.target_runs SET status = 'pending', round = round + 1, error = NULL
        WHERE request_id = $1 AND status IN ('pending', 'running', 'failed')`,
      [requestId],
    );
    await client.query(`UPDATE rookery_control.requests SET status = 'approved', error = NULL, updated_at = now() WHERE id = $1`, [requestId]);
    await client.query(`DELETE FROM rookery_control.outbox WHERE request_id = $1`, [requestId]);
    await enqueueOutbox(client, requestId);
    return (await selectRequest(client, requestId))!;
  });
}
