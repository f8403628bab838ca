import type pg from "pg";
import { readExpansions, type ExpansionRow } from "../ledger/index.ts";

/** Where an expand-contract migration stands: expanding (interrupted or running) or expanded, awaiting complete. */
export interface ExpansionSummary {
  phase: "expanding" | "expanded";
  /** When expand finished (expanded) or started (expanding). */
  since: string;
  hoursSince: number;
  /** The schema the new release puts first on its search_path. */
  versionSchema: string;
  tables: string[];
  backfill: { table: string; rows: number; estimate: number; done: boolean }[];
  /** `rookery status` only, for an expanded version that drops columns or tables: whether queries still use them. */
  deprecation?: { windowHours: number; lines: string[] };
}

function summaryOf(row: ExpansionRow, now: number): ExpansionSummary | undefined {
  if (row.state !== "expanding" && row.state !== "expanded") return undefined;
  const since = (row.state === "expanded" ? row.expandedAt : row.startedAt) ?? row.startedAt;
  return {
    phase: row.state,
    since,
    hoursSince: (now - Date.parse(since)) / 3_600_000,
    versionSchema: row.versionSchema,
    tables: row.tables,
    backfill: Object.entries(row.backfill).map(([table, progress]) => ({ table, rows: progress.rows, estimate: progress.estimate, done: progress.done })),
  };
}

/** The open expansions (expanding or expanded) by version, for status, health and chat. */
export async function openExpansions(client: pg.ClientBase, schema: string): Promise<Map<string, ExpansionSummary>> {
  const now = Date.now();
  const open = new Map<string, ExpansionSummary>();
  for (const row of await readExpansions(client, schema)) {
    const summary = summaryOf(row, now);
    if (summary) open.set(row.version, summary);
  }
  return open;
}

/** One line for a person: "expanded 2.5 h ago (rookery_20251201_000001); backfill orders 1000000/1000000". */
export function describeExpansion(summary: ExpansionSummary): string {
  const backfill = summary.backfill.map((table) => `${table.table.replace(/^public\./, "")} ${table.rows}${table.estimate > 0 ? `/~${table.estimate}` : ""}${table.done ? "" : " (in progress)"}`);
  const age = summary.hoursSince < 1 ? `${Math.max(1, Math.round(summary.hoursSince * 60))} min` : `${summary.hoursSince.toFixed(1)} h`;
  return `${summary.phase} ${age} ago (schema ${summary.versionSchema})${backfill.length > 0 ? `; backfill ${backfill.join(", ")}` : ""}`;
}
