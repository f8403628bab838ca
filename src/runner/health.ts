import type { Environment } from "../config/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { withLedgerClient } from "./session.ts";
import type { HealthRow } from "./types.ts";

/** The ledger's migration_health view, newest first. */
export async function getHealth(environment: Environment): Promise<HealthRow[]> {
  const { rows } = await withLedgerClient(environment, (client) =>
    client.query<{
      version: string;
      description: string;
      applied_at: Date | null;
      applied_by: string;
      status: HealthRow["status"];
      hours_since_application: string | null;
      health_status: HealthRow["healthStatus"];
      alert_level: HealthRow["alertLevel"];
    }>(inLedgerSchema("SELECT * FROM public.migration_health", environment.ledgerSchema)),
  );
  return rows.map((row) => ({
    version: row.version,
    description: row.description,
    appliedAt: row.applied_at ? row.applied_at.toISOString() : "",
    appliedBy: row.applied_by,
    status: row.status,
    hoursSinceApplication: Math.round(Number(row.hours_since_application ?? 0) * 100) / 100,
    healthStatus: row.health_status,
    alertLevel: row.alert_level,
  }));
}
