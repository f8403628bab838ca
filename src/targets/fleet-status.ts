import type { StatusReport } from "../runner/types.ts";

export interface FleetDatabaseStatus {
  database: string;
  report: Pick<StatusReport, "currentVersion" | "migrations" | "counts"> | null;
  error: string | null;
}

/** A fleet at a glance: how many databases are at which version, and what is wrong where. */
export interface FleetStatusSummary {
  databases: number;
  /** Newest version first; `null` is a database with nothing applied. */
  versions: { version: string | null; databases: string[] }[];
  pending: { database: string; count: number }[];
  failed: { database: string; versions: string[] }[];
  drift: { database: string; versions: string[] }[];
  unreachable: { database: string; error: string }[];
}

export function summarizeFleetStatus(entries: FleetDatabaseStatus[]): FleetStatusSummary {
  const byVersion = new Map<string | null, string[]>();
  const summary: FleetStatusSummary = { databases: entries.length, versions: [], pending: [], failed: [], drift: [], unreachable: [] };
  for (const { database, report, error } of entries) {
    if (!report) {
      summary.unreachable.push({ database, error: error ?? "unknown error" });
      continue;
    }
    byVersion.set(report.currentVersion, [...(byVersion.get(report.currentVersion) ?? []), database]);
    if (report.counts.pending > 0) summary.pending.push({ database, count: report.counts.pending });
    const failed = report.migrations.filter((migration) => migration.state === "failed").map((migration) => migration.version);
    if (failed.length > 0) summary.failed.push({ database, versions: failed });
    const drift = report.migrations.filter((migration) => migration.drift).map((migration) => migration.version);
    if (drift.length > 0) summary.drift.push({ database, versions: drift });
  }
  summary.versions = [...byVersion]
    .sort(([a], [b]) => (b ?? "").localeCompare(a ?? ""))
    .map(([version, databases]) => ({ version, databases }));
  return summary;
}
