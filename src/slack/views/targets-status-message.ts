import type { StatusReport } from "../../runner/types.ts";
import { summarizeFleetStatus, type TargetResult } from "../../targets/index.ts";
import { code, escapeMrkdwn, type SlackMessage } from "./blocks.ts";
import { names, targetsMessage } from "./targets-blocks.ts";

/**
 * `/migrate status` of an environment with targets (docs/targets.md): one line per single database, and
 * per fleet how many databases are at which version, with the failed, drifted and unreachable ones named.
 */
export function targetsStatusMessage(environment: string, results: TargetResult<StatusReport>[]): SlackMessage {
  const lines: string[] = [];
  for (const result of results) {
    if (result.kind === "database") {
      const { report, error } = result.databases[0]!;
      lines.push(
        report
          ? `*${escapeMrkdwn(result.target)}* — ${code(report.currentVersion ?? "none")} · pending ${report.counts.pending} · failed ${report.counts.failed} · drift ${report.counts.drift}`
          : `*${escapeMrkdwn(result.target)}* — :warning: ${escapeMrkdwn((error ?? "").slice(0, 300))}`,
      );
      continue;
    }
    const summary = summarizeFleetStatus(result.databases);
    lines.push(`*${escapeMrkdwn(result.target)}* — fleet of ${summary.databases}`);
    for (const group of summary.versions.slice(0, 10)) lines.push(`   ${code(group.version ?? "none")}: ${group.databases.length} (${names(group.databases)})`);
    if (summary.failed.length > 0) lines.push(`   :x: failed on ${summary.failed.length}: ${names(summary.failed.map((entry) => `${entry.database} ${entry.versions.join(" ")}`))}`);
    if (summary.drift.length > 0) lines.push(`   drift on ${summary.drift.length}: ${names(summary.drift.map((entry) => `${entry.database} ${entry.versions.join(" ")}`))}`);
    if (summary.unreachable.length > 0) lines.push(`   :warning: unreachable: ${names(summary.unreachable.map((entry) => entry.database))}`);
  }
  return targetsMessage(`${environment}: status across ${results.length} target(s)`, `*${escapeMrkdwn(environment)}* across targets`, lines, `rookery status --env ${environment}`);
}
