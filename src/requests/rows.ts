import type pg from "pg";
import type { Approval, ChangeRequest, RequestKind, RequestStatus } from "./types.ts";

type Queryable = Pick<pg.ClientBase, "query">;

/** The request columns plus its approvals as a JSON array, so one query returns a whole request. */
export const REQUEST_SELECT = `
  SELECT r.*,
         COALESCE((SELECT json_agg(json_build_object('userId', a.user_id, 'at', a.approved_at) ORDER BY a.approved_at)
                     FROM rookery_control.approvals a WHERE a.request_id = r.id), '[]'::json) AS approvals
    FROM rookery_control.requests r`;

interface RequestRow {
  id: string;
  kind: RequestKind;
  environment: string;
  versions: string[];
  checksums: Record<string, string>;
  reason: string | null;
  requested_by: string;
  team_id: string | null;
  channel_id: string | null;
  message_ts: string | null;
  approvals_required: number;
  status: RequestStatus;
  created_at: Date;
  expires_at: Date;
  not_before: Date | null;
  break_glass: boolean;
  decided_by: string | null;
  error: string | null;
  result: unknown;
  attempts: number;
  updated_at: Date;
  approvals: { userId: string; at: string }[];
}

export function toRequest(row: RequestRow): ChangeRequest {
  const approvals: Approval[] = row.approvals.map((approval) => ({ userId: approval.userId, at: new Date(approval.at) }));
  return {
    id: row.id,
    kind: row.kind,
    environment: row.environment,
    versions: row.versions,
    checksums: row.checksums,
    reason: row.reason,
    requestedBy: row.requested_by,
    teamId: row.team_id,
    channelId: row.channel_id,
    messageTs: row.message_ts,
    approvalsRequired: row.approvals_required,
    approvals,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    notBefore: row.not_before,
    breakGlass: row.break_glass,
    decidedBy: row.decided_by,
    error: row.error,
    result: row.result ?? null,
    attempts: row.attempts,
    updatedAt: row.updated_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A request by id, or null; a malformed id (from a forged button value) is simply not found. */
export async function selectRequest(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ChangeRequest | null> {
  if (!UUID.test(id)) return null;
  // Lock first, read after: a statement that waited for the lock still sees the approvals of its own,
  // older snapshot, so the read must be a new statement.
  if (options.forUpdate) await db.query("SELECT 1 FROM rookery_control.requests WHERE id = $1 FOR UPDATE", [id]);
  const { rows } = await db.query<RequestRow>(`${REQUEST_SELECT} WHERE r.id = $1`, [id]);
  return rows[0] ? toRequest(rows[0]) : null;
}

export async function selectRequests(db: Queryable, where: string, params: unknown[]): Promise<ChangeRequest[]> {
  const { rows } = await db.query<RequestRow>(`${REQUEST_SELECT} WHERE ${where} ORDER BY r.created_at`, params);
  return rows.map(toRequest);
}
