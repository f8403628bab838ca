import type pg from "pg";
import { createPool } from "../db/index.ts";
import { ensureControlSchema } from "./schema.ts";

export interface AuditEntry {
  /** Slack user id, "cli:alice", or "worker". */
  actor: string;
  teamId?: string | null;
  /** What happened, as a dotted name: "command.apply", "button.approve", "job.succeeded". */
  action: string;
  requestId?: string | null;
  environment?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, "detail">> {
  id: number;
  at: Date;
  detail: Record<string, unknown>;
}

export async function audit(pool: pg.Pool, entry: AuditEntry): Promise<void> {
  await pool.query(
    `INSERT INTO rookery_control.audit_log (actor, team_id, action, request_id, environment, detail)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.actor, entry.teamId ?? null, entry.action, entry.requestId ?? null, entry.environment ?? null, JSON.stringify(entry.detail ?? {})],
  );
}

/** One audit line from a command that has no control pool of its own (the CLI): a short-lived one, created if need be. */
export async function auditOnce(controlDatabaseUrl: string, entry: AuditEntry): Promise<void> {
  const pool = createPool(controlDatabaseUrl, { max: 1 });
  try {
    await ensureControlSchema(pool);
    await audit(pool, entry);
  } finally {
    await pool.end();
  }
}

export async function listAudit(pool: pg.Pool, filter: { requestId?: string; limit?: number } = {}): Promise<AuditRecord[]> {
  const { rows } = await pool.query(
    `SELECT id, at, actor, team_id, action, request_id, environment, detail FROM rookery_control.audit_log
      WHERE ($1::uuid IS NULL OR request_id = $1) ORDER BY id DESC LIMIT $2`,
    [filter.requestId ?? null, filter.limit ?? 100],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    teamId: row.team_id,
    action: row.action,
    requestId: row.request_id,
    environment: row.environment,
    detail: row.detail,
  }));
}
