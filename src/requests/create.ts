import { randomUUID } from "node:crypto";
import type pg from "pg";
import { UsageError } from "../errors.ts";
import { enqueueOutbox } from "./outbox.ts";
import { selectRequest } from "./rows.ts";
import { ensureTargetRuns, planTargetRuns, type PlannedRun } from "./target-runs.ts";
import { inTransaction } from "./transaction.ts";
import { NewRequestSchema, type ChangeRequest, type NewRequest } from "./types.ts";

/**
 * Stores a change request. With approvalsRequired 0 it is approved at once and its outbox row is written
 * in the same transaction, so the job cannot be lost between "approved" and "enqueued". `targetRuns`, a
 * rollback across targets' databases and versions, are written in that transaction too: its job never
 * starts without them.
 */
export async function createRequest(pool: pg.Pool, input: NewRequest, plan: { targetRuns?: PlannedRun[] } = {}): Promise<ChangeRequest> {
  const parsed = NewRequestSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "request"}: ${issue.message}`);
    throw new UsageError(`invalid change request: ${problems.join("; ")}`);
  }
  const request = parsed.data;
  const id = randomUUID();
  const approvedAtOnce = request.approvalsRequired === 0;
  if (plan.targetRuns) await ensureTargetRuns(pool);
  return inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO rookery_control.requests
         (id, kind, environment, versions, checksums, reason, requested_by, team_id, channel_id,
          approvals_required, status, expires_at, not_before, break_glass)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        id,
        request.kind,
        request.environment,
        request.versions,
        JSON.stringify(request.checksums),
        request.reason,
        request.requestedBy,
        request.teamId,
        request.channelId,
        request.approvalsRequired,
        approvedAtOnce ? "approved" : "pending",
        request.expiresAt,
        request.notBefore,
        request.breakGlass,
      ],
    );
    if (plan.targetRuns) await planTargetRuns(client, id, plan.targetRuns);
    if (approvedAtOnce) await enqueueOutbox(client, id);
    return (await selectRequest(client, id))!;
  });
}
