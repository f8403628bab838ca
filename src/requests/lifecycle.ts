import type pg from "pg";
import { selectRequest, selectRequests } from "./rows.ts";
import type { ChangeRequest, RequestStatus } from "./types.ts";

export function getRequest(pool: pg.Pool, id: string): Promise<ChangeRequest | null> {
  return selectRequest(pool, id);
}

export function listRequests(
  pool: pg.Pool,
  filter: { environment?: string; statuses?: RequestStatus[] } = {},
): Promise<ChangeRequest[]> {
  return selectRequests(
    pool,
    "($1::text IS NULL OR r.environment = $1) AND ($2::text[] IS NULL OR r.status = ANY($2::text[]))",
    [filter.environment ?? null, filter.statuses ?? null],
  );
}

/**
 * Where the request's Slack message lives, so later updates edit it in place. `ifUnset` leaves a ref
 * already recorded alone (a click on the message, which may reach us before chat.postMessage's reply).
 */
export async function setMessageRef(pool: pg.Pool, id: string, channelId: string, messageTs: string, options: { ifUnset?: boolean } = {}): Promise<void> {
  await pool.query(
    `UPDATE rookery_control.requests SET channel_id = $2, message_ts = $3, updated_at = now() WHERE id = $1${options.ifUnset ? " AND message_ts IS NULL" : ""}`,
    [id, channelId, messageTs],
  );
}

/** Returns the request after the update, or null when it was not in one of the `from` states. */
async function transition(
  pool: pg.Pool,
  id: string,
  from: RequestStatus[],
  set: string,
  params: unknown[],
): Promise<ChangeRequest | null> {
  const { rowCount } = await pool.query(
    `UPDATE rookery_control.requests SET ${set}, updated_at = now() WHERE id = $1 AND status = ANY($2::text[])`,
    [id, from, ...params],
  );
  return rowCount ? selectRequest(pool, id) : null;
}

/** The job is on the queue. A request already further along (a fast worker) is left as it is. */
export function markQueued(pool: pg.Pool, id: string): Promise<ChangeRequest | null> {
  return transition(pool, id, ["approved"], "status = 'queued'", []);
}

/** A worker starts (or, after a crash or transient failure, restarts) the job. Null: nothing to run. */
export function markRunning(pool: pg.Pool, id: string): Promise<ChangeRequest | null> {
  return transition(pool, id, ["approved", "queued", "running"], "status = 'running', attempts = attempts + 1, error = NULL, heartbeat_at = now()", []);
}

/** How often a worker running a request says so, and how long the reconciler trusts the last time it did. */
export const HEARTBEAT_EVERY_MS = 10_000;
const HEARTBEAT_TRUSTED_MS = 3 * HEARTBEAT_EVERY_MS;

/** The running worker is alive: called every HEARTBEAT_EVERY_MS while the job runs. */
export async function touchRunning(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(`UPDATE rookery_control.requests SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [id]);
}

/**
 * A worker is running the request now (its heartbeat is recent). Its job may still have vanished from Redis
 * (data loss mid-job): sending it again would only start a second attempt that waits for the first one's lock.
 */
export async function hasLiveWorker(pool: pg.Pool, id: string): Promise<boolean> {
  const { rows } = await pool.query<{ live: boolean }>(
    `SELECT heartbeat_at > now() - make_interval(secs => $2::double precision / 1000) AS live
       FROM rookery_control.requests WHERE id = $1 AND status = 'running'`,
    [id, HEARTBEAT_TRUSTED_MS],
  );
  return rows[0]?.live === true;
}

export function markSucceeded(pool: pg.Pool, id: string, result: unknown): Promise<ChangeRequest | null> {
  return transition(pool, id, ["approved", "queued", "running"], "status = 'succeeded', result = $3, error = NULL", [
    JSON.stringify(result ?? null),
  ]);
}

export function markFailed(pool: pg.Pool, id: string, error: string, result: unknown = null): Promise<ChangeRequest | null> {
  return transition(pool, id, ["approved", "queued", "running"], "status = 'failed', error = $3, result = $4", [
    error,
    JSON.stringify(result),
  ]);
}

/** A transient failure: the job will run again; the error is kept so people can see why it waits. */
export function markRetrying(pool: pg.Pool, id: string, error: string): Promise<ChangeRequest | null> {
  return transition(pool, id, ["running"], "status = 'queued', error = $3", [error]);
}
