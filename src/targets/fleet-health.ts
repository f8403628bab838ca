import type { HealthRow } from "../runner/types.ts";
import type { TargetResult } from "./read-targets.ts";

const ALERT_ORDER: Record<HealthRow["alertLevel"], number> = { CRITICAL: 0, WARNING: 1, INFO: 2, OK: 3 };

export interface FleetAlertGroup {
  alertLevel: HealthRow["alertLevel"];
  version: string;
  healthStatus: HealthRow["healthStatus"];
  databases: string[];
}

/** The rows that need someone: failed (CRITICAL) and rolled back (WARNING). */
export function alertsOf(rows: HealthRow[]): HealthRow[] {
  return rows.filter((row) => row.alertLevel === "CRITICAL" || row.alertLevel === "WARNING");
}

/** Rows most urgent first: the order every health answer lists them in. */
export function byAlertLevel(a: HealthRow, b: HealthRow): number {
  return ALERT_ORDER[a.alertLevel] - ALERT_ORDER[b.alertLevel];
}

/** A fleet's alerts grouped by level and version: one line for the 40 databases where the same migration failed. */
export function groupedAlerts(result: TargetResult<HealthRow[]>): FleetAlertGroup[] {
  const groups = new Map<string, FleetAlertGroup>();
  for (const database of result.databases) {
    for (const row of alertsOf(database.report ?? [])) {
      const key = `${row.alertLevel} ${row.version} ${row.healthStatus}`;
      const group = groups.get(key) ?? { alertLevel: row.alertLevel, version: row.version, healthStatus: row.healthStatus, databases: [] };
      group.databases.push(database.database);
      groups.set(key, group);
    }
  }
  return [...groups.values()].sort((a, b) => ALERT_ORDER[a.alertLevel] - ALERT_ORDER[b.alertLevel] || a.version.localeCompare(b.version));
}
