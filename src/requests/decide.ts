import type pg from "pg";
import { selectRequest, selectRequests } from "./rows.ts";
import { inTransaction } from "./transaction.ts";
import type { ChangeRequest, RejectionOutcome } from "./types.ts";

/** Rejects (or, when the requester withdraws it, cancels) a pending request; anything else is left alone. */
async function closePending(
  pool: pg.Pool,
  id: string,
  userId: string,
  status: "rejected" | "cancelled",
  now: Date,
): Promise<{ outcome: RejectionOutcome; request: ChangeRequest | null }> {
  return inTransaction(pool, async (client) => {
    const request = await selectRequest(client, id, { forUpdate: true });
    if (!request || request.status !== "pending") return { outcome: "not_pending", request };
    await client.query(
      `UPDATE rookery_control.requests SET status = $2, decided_by = $3, updated_at = $4 WHERE id = $1`,
      [id, status, userId, now],
    );
    return { outcome: "rejected", request: (await selectRequest(client, id))! };
  });
}

export function rejectRequest(pool: pg.Pool, id: string, userId: string, now: Date = new Date()) {
  return closePending(pool, id, userId, "rejected", now);
}

export function cancelRequest(pool: pg.Pool, id: string, userId: string, now: Date = new Date()) {
  return closePending(pool, id, userId, "cancelled", now);
}

/** Marks every pending request past its expiry as expired and returns them, so their messages can say so. */
export async function expirePendingRequests(pool: pg.Pool, now: Date = new Date()): Promise<ChangeRequest[]> {
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE rookery_control.requests SET status = 'expired', updated_at = $1
      WHERE status = 'pending' AND expires_at <= $1 RETURNING id`,
    [now],
  );
  if (rows.length === 0) return [];
  return selectRequests(pool, "r.id = ANY($1::uuid[])", [rows.map((row) => row.id)]);
}
