import type { Environment } from "../config/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { openExpansions } from "../expand/index.ts";
import { withLedgerClient } from "../session/session.ts";
import type { ExpansionSummary, HealthRow } from "./types.ts";

/**
 * An expanded version keeps two shapes and their triggers alive: past maxExpandedHours it is a
 * WARNING until someone completes it or rolls it back.
 */
function withExpansion(row: HealthRow, expansion: ExpansionSummary | undefined, environment: Environment): HealthRow {
  if (!expansion || row.alertLevel === "CRITICAL") return row;
  const overdue = expansion.hoursSince > environment.maxExpandedHours;
  return {
    ...row,
    healthStatus: "EXPANDED",
    alertLevel: overdue ? "WARNING" : "OK",
    advice: overdue
      ? `expanded for ${expansion.hoursSince.toFixed(1)} h (more than maxExpandedHours ${environment.maxExpandedHours}): complete or roll back`
      : `expanded for ${expansion.hoursSince.toFixed(1)} h: complete it once the new release runs on ${expansion.versionSchema}`,
  };
}

/** The ledger's migration_health view, newest first. */
export async function getHealth(environment: Environment): Promise<HealthRow[]> {
  const { rows, expansions } = await withLedgerClient(environment, async (client) => ({
    expansions: await openExpansions(client, environment.ledgerSchema),
    rows: (await client.query<{
      version: string;
      description: string;
      applied_at: Date | null;
      applied_by: string;
      status: HealthRow["status"];
      hours_since_application: string | null;
      health_status: HealthRow["healthStatus"];
      alert_level: HealthRow["alertLevel"];
    }>(inLedgerSchema("SELECT * FROM public.migration_health", environment.ledgerSchema))).rows,
  }));
  return rows.map((row) => withExpansion({
    version: row.version,
    description: row.description,
    appliedAt: row.applied_at ? row.applied_at.toISOString() : "",
    appliedBy: row.applied_by,
    status: row.status,
    hoursSinceApplication: Math.round(Number(row.hours_since_application ?? 0) * 100) / 100,
    healthStatus: row.health_status,
    alertLevel: row.alert_level,
  }, expansions.get(row.version), environment));
}
