import type pg from "pg";
import type { DrillReport } from "../runner/drill.ts";

export interface DrillFailure {
  environment: string;
  version: string;
  differences: string[];
  drilledAt: Date;
}

/**
 * Remembers each version's verdict: proven or failed. Skipped and not-reached versions leave the last
 * verdict as it was, so a rollback that no longer proves stays a WARNING until a drill proves it again.
 */
export async function recordDrill(pool: pg.Pool, report: DrillReport, at: Date = new Date()): Promise<void> {
  for (const version of report.versions) {
    if (version.outcome !== "proven" && version.outcome !== "failed") continue;
    await pool.query(
      `INSERT INTO rookery_control.drill_results (environment, version, proven, differences, drilled_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (environment, version) DO UPDATE SET proven = EXCLUDED.proven, differences = EXCLUDED.differences, drilled_at = EXCLUDED.drilled_at`,
      [report.environment, version.version, version.outcome === "proven", JSON.stringify(version.differences), at],
    );
  }
}

/** Versions of the environment whose last drill failed. */
export async function failedDrills(pool: pg.Pool, environment: string): Promise<DrillFailure[]> {
  const { rows } = await pool.query(
    `SELECT environment, version, differences, drilled_at FROM rookery_control.drill_results
      WHERE environment = $1 AND NOT proven ORDER BY version DESC`,
    [environment],
  );
  return rows.map((row) => ({ environment: row.environment, version: row.version, differences: row.differences, drilledAt: row.drilled_at }));
}
