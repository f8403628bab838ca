import type pg from "pg";
import { enqueueOutbox } from "./outbox.ts";
import { selectRequest } from "./rows.ts";
import { inTransaction } from "./transaction.ts";
import type { ApprovalOutcome, ChangeRequest } from "./types.ts";

export interface ApprovalResult {
  outcome: ApprovalOutcome;
  /** The request after the click (null only when no such request exists). */
  request: ChangeRequest | null;
}

/**
 * Counts one approval. The row is locked for the whole decision, so two approvers clicking at the same
 * moment are counted one after the other; the last approval flips the request to approved and writes
 * its outbox row in the same transaction. Whether this user may approve at all is the caller's policy.
 */
export async function recordApproval(pool: pg.Pool, id: string, userId: string, now: Date = new Date()): Promise<ApprovalResult> {
  return inTransaction(pool, async (client) => {
    const request = await selectRequest(client, id, { forUpdate: true });
    if (!request) return { outcome: "not_pending", request: null };
    if (request.status !== "pending") return { outcome: "not_pending", request };
    if (request.expiresAt.getTime() <= now.getTime()) {
      await client.query(`UPDATE rookery_control.requests SET status = 'expired', updated_at = $2 WHERE id = $1`, [id, now]);
      return { outcome: "expired", request: (await selectRequest(client, id))! };
    }
    if (request.requestedBy === userId) return { outcome: "own_request", request };
    if (request.approvals.some((approval) => approval.userId === userId)) return { outcome: "duplicate", request };

    await client.query(`INSERT INTO rookery_control.approvals (request_id, user_id, approved_at) VALUES ($1, $2, $3)`, [id, userId, now]);
    const approved = request.approvals.length + 1 >= request.approvalsRequired;
    if (approved) {
      await client.query(`UPDATE rookery_control.requests SET status = 'approved', updated_at = $2 WHERE id = $1`, [id, now]);
      await enqueueOutbox(client, id);
    } else {
      await client.query(`UPDATE rookery_control.requests SET updated_at = $2 WHERE id = $1`, [id, now]);
    }
    return { outcome: approved ? "approved" : "counted", request: (await selectRequest(client, id))! };
  });
}
