import type pg from "pg";
import { selectRequests } from "./rows.ts";
import type { ChangeRequest } from "./types.ts";

type Queryable = Pick<pg.ClientBase, "query">;

/** Called inside the approving transaction: the approval and the promise to enqueue commit together. */
export async function enqueueOutbox(client: Queryable, requestId: string): Promise<void> {
  await client.query(`INSERT INTO rookery_control.outbox (request_id) VALUES ($1) ON CONFLICT (request_id) DO NOTHING`, [requestId]);
}

/** Approved requests whose job has not reached the queue yet, oldest first. */
export function unsentOutbox(pool: pg.Pool, limit = 100): Promise<ChangeRequest[]> {
  return selectRequests(
    pool,
    `r.id IN (SELECT request_id FROM rookery_control.outbox WHERE sent_at IS NULL ORDER BY created_at LIMIT $1)`,
    [limit],
  );
}

export async function markOutboxSent(pool: pg.Pool, requestId: string): Promise<void> {
  await pool.query(`UPDATE rookery_control.outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE request_id = $1`, [
    requestId,
  ]);
}

export async function markOutboxFailed(pool: pg.Pool, requestId: string, error: string): Promise<void> {
  await pool.query(`UPDATE rookery_control.outbox SET attempts = attempts + 1, last_error = $2 WHERE request_id = $1`, [
    requestId,
    error,
  ]);
}

/** Requests that should have a job on the queue (approved but not finished): the reconciler checks each. */
export function requestsAwaitingJobs(pool: pg.Pool): Promise<ChangeRequest[]> {
  return selectRequests(pool, `r.status = ANY($1::text[])`, [["approved", "queued", "running"]]);
}

/** Puts a request back into the outbox (its job vanished from Redis). */
export async function resendOutbox(pool: pg.Pool, requestId: string): Promise<void> {
  await pool.query(
    `INSERT INTO rookery_control.outbox (request_id) VALUES ($1)
     ON CONFLICT (request_id) DO UPDATE SET sent_at = NULL`,
    [requestId],
  );
}
