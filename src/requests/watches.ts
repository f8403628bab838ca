import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { CheckResult, WatchCheck, WatchedDatabase, WatchOutcome, WatchPlan } from "../runner/index.ts";

export type WatchStatus = "watching" | "rolling_back" | WatchOutcome["status"];

/** A watch as stored: its plan, how far it got, and how it ended. */
export interface WatchRecord {
  id: string;
  requestId: string | null;
  actor: string;
  plan: WatchPlan;
  status: WatchStatus;
  rounds: number;
  nextRoundAt: Date;
  /** Checks that errored at least once (reported once each). */
  errors: CheckResult[];
  /** The check that set off the rollback (kept while it runs, so a restarted worker finishes it). */
  failing: CheckResult | null;
  outcome: WatchOutcome | null;
  rollbackRequestedBy: string | null;
  decidedBy: string | null;
}

interface WatchRow {
  id: string;
  request_id: string | null;
  environment: string;
  versions: string[];
  actor: string;
  started_at: Date;
  ends_at: Date;
  interval_ms: number;
  checks: WatchCheck[];
  databases: WatchedDatabase[] | null;
  on_check_error: WatchPlan["onCheckError"];
  status: WatchStatus;
  rounds: number;
  next_round_at: Date;
  errors: CheckResult[];
  failing: CheckResult | null;
  outcome: WatchOutcome | null;
  rollback_requested_by: string | null;
  decided_by: string | null;
}

function toWatch(row: WatchRow): WatchRecord {
  return {
    id: row.id,
    requestId: row.request_id,
    actor: row.actor,
    plan: {
      environment: row.environment,
      versions: row.versions,
      startedAt: row.started_at,
      endsAt: row.ends_at,
      intervalMs: row.interval_ms,
      checks: row.checks,
      onCheckError: row.on_check_error,
      ...(row.databases ? { databases: row.databases } : {}),
    },
    status: row.status,
    rounds: row.rounds,
    nextRoundAt: row.next_round_at,
    errors: row.errors,
    failing: row.failing,
    outcome: row.outcome,
    rollbackRequestedBy: row.rollback_requested_by,
    decidedBy: row.decided_by,
  };
}

const OPEN: WatchStatus[] = ["watching", "rolling_back"];

async function selectWatches(pool: pg.Pool, where: string, params: unknown[]): Promise<WatchRecord[]> {
  const { rows } = await pool.query<WatchRow>(`SELECT * FROM rookery_control.watches WHERE ${where} ORDER BY created_at`, params);
  return rows.map(toWatch);
}

/** Stores a new watch, its first round due at once. A request gets one watch: a retried job finds the first. */
export async function createWatch(pool: pg.Pool, input: { requestId: string | null; actor: string; plan: WatchPlan }): Promise<WatchRecord> {
  const { plan } = input;
  const { rows } = await pool.query<WatchRow>(
    `INSERT INTO rookery_control.watches
       (id, request_id, environment, versions, actor, started_at, ends_at, interval_ms, checks, on_check_error, status, next_round_at, databases)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'watching', $6, $11)
     ON CONFLICT (request_id) DO NOTHING RETURNING *`,
    [randomUUID(), input.requestId, plan.environment, plan.versions, input.actor, plan.startedAt, plan.endsAt, Math.trunc(plan.intervalMs), JSON.stringify(plan.checks), plan.onCheckError, plan.databases ? JSON.stringify(plan.databases) : null],
  );
  if (rows[0]) return toWatch(rows[0]);
  return (await selectWatches(pool, "request_id = $1", [input.requestId]))[0]!;
}

export async function getWatch(pool: pg.Pool, id: string): Promise<WatchRecord | null> {
  return (await selectWatches(pool, "id = $1", [id]))[0] ?? null;
}

export async function watchOfRequest(pool: pg.Pool, requestId: string): Promise<WatchRecord | null> {
  return (await selectWatches(pool, "request_id = $1", [requestId]))[0] ?? null;
}

/** Watches still running or rolling back: the reconciler makes sure each has its next job. */
export function openWatches(pool: pg.Pool): Promise<WatchRecord[]> {
  return selectWatches(pool, "status = ANY($1::text[])", [OPEN]);
}

/** A round ran and decided nothing: count it, remember new errors, set when the next is due. Only while watching. */
export async function recordWatchRound(pool: pg.Pool, id: string, round: number, nextRoundAt: Date, errors: CheckResult[]): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE rookery_control.watches SET rounds = $2, next_round_at = $3, errors = $4, updated_at = now()
      WHERE id = $1 AND status = 'watching' AND rounds < $2`,
    [id, round, nextRoundAt, JSON.stringify(errors)],
  );
  return (rowCount ?? 0) > 0;
}

/** A check failed (or an approver asked): the rollback starts, and is finished by whoever runs the watch next if this worker dies. */
export async function markWatchRollingBack(pool: pg.Pool, id: string, failing: CheckResult): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE rookery_control.watches SET status = 'rolling_back', failing = $2, updated_at = now() WHERE id = $1 AND status = 'watching'`,
    [id, JSON.stringify(failing)],
  );
  return (rowCount ?? 0) > 0;
}

/** Ends the watch with its outcome; false when it had already ended (a Keep click racing the last round). */
export async function finishWatch(pool: pg.Pool, id: string, outcome: WatchOutcome, decidedBy: string | null = null): Promise<WatchRecord | null> {
  const { rows } = await pool.query<WatchRow>(
    `UPDATE rookery_control.watches SET status = $2, outcome = $3, decided_by = COALESCE($4, decided_by), updated_at = now()
      WHERE id = $1 AND status = ANY($5::text[]) RETURNING *`,
    [id, outcome.status, JSON.stringify(outcome), decidedBy, OPEN],
  );
  return rows[0] ? toWatch(rows[0]) : null;
}

/** "Roll back now" from an approver: the next run of the watch rolls back instead of checking. */
export async function requestWatchRollback(pool: pg.Pool, id: string, userId: string): Promise<WatchRecord | null> {
  const { rows } = await pool.query<WatchRow>(
    `UPDATE rookery_control.watches SET rollback_requested_by = $2, updated_at = now()
      WHERE id = $1 AND status = 'watching' AND rollback_requested_by IS NULL RETURNING *`,
    [id, userId],
  );
  return rows[0] ? toWatch(rows[0]) : null;
}
