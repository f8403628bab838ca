import type { ExpansionSummary } from "../../runner/index.ts";
import { code, escapeMrkdwn } from "./blocks.ts";

/** An expand-contract version between its phases: since when, and how far its backfill got (docs/expand-contract.md). */
export function expansionLine(version: string, expansion: ExpansionSummary): string {
  const since = `${expansion.since.slice(0, 16).replace("T", " ")} UTC`;
  const backfill = expansion.backfill.map((table) => {
    const percent = table.estimate > 0 ? ` (${Math.min(100, Math.floor((table.rows / table.estimate) * 100))}%)` : "";
    return `${escapeMrkdwn(table.table.replace(/^public\./, ""))} ${table.rows}${table.estimate > 0 ? `/~${table.estimate}` : ""} rows${table.done ? " done" : `${percent}, in progress`}`;
  });
  return `${code(version)} *${expansion.phase}* since ${since} · schema ${code(expansion.versionSchema)} · ${backfill.length > 0 ? `backfill ${backfill.join(", ")}` : "no backfill"}`;
}
