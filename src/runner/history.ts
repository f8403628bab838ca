import type { Environment } from "../config/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { withLedgerClient } from "../session/session.ts";
import type { HistoryEvent } from "./types.ts";

interface EventRecord {
  executed_at: Date | null;
  version: string | null;
  event: string | null;
  migration_type: string | null;
  actor: string | null;
  reason: string | null;
  success: boolean | null;
  error_message: string | null;
  affected_tenants: number | null;
  tenant_context: string | null;
  detail: Record<string, unknown> | null;
}

/** Rows written before Rookery (the document's own columns only) still read as events. */
function toEvent(row: EventRecord): HistoryEvent {
  const detail: Record<string, unknown> = { ...(row.detail ?? {}) };
  if (row.error_message !== null) detail.error = row.error_message;
  if (row.affected_tenants !== null) detail.affectedTenants = row.affected_tenants;
  if (row.tenant_context !== null) detail.tenant = row.tenant_context;
  if (row.success === false && row.event === null) detail.success = false;
  return {
    at: row.executed_at ? row.executed_at.toISOString() : "",
    version: row.version,
    event: row.event ?? row.migration_type ?? "event",
    actor: row.actor ?? "",
    reason: row.reason,
    detail,
  };
}

/** The ledger's history, newest first: applies, failures, rollbacks, with who and why. */
export async function getHistory(environment: Environment, options: { limit?: number; version?: string } = {}): Promise<HistoryEvent[]> {
  const limit = Math.max(1, Math.min(options.limit ?? 50, 10_000));
  const { rows } = await withLedgerClient(environment, (client) =>
    client.query<EventRecord>(
      inLedgerSchema(`SELECT executed_at, version, event, migration_type, actor, reason, success, error_message, affected_tenants,
              tenant_context::text AS tenant_context, detail
       FROM public.migration_events
       WHERE $1::text IS NULL OR version = $1
       ORDER BY id DESC
       LIMIT $2`, environment.ledgerSchema),
      [options.version ?? null, limit],
    ),
  );
  return rows.map(toEvent);
}
