import type { HealthRow } from "../../runner/types.ts";
import { alertsOf, byAlertLevel, groupedAlerts, type TargetResult } from "../../targets/index.ts";
import { code, escapeMrkdwn, MAX_LISTED, type SlackMessage } from "./blocks.ts";
import { errorLine, names, targetsMessage, unreadableLine } from "./targets-blocks.ts";

const STATE = (row: Pick<HealthRow, "healthStatus">) => row.healthStatus.toLowerCase().replace("_", " ");

/**
 * `/migrate health <env>` of an environment with targets (docs/targets.md): each single database's alerts,
 * and a fleet's grouped, one line per level and version naming the databases, so a migration failed on 40
 * tenant databases is one line.
 */
export function targetsHealthMessage(environment: string, results: TargetResult<HealthRow[]>[]): SlackMessage {
  const lines: string[] = [];
  let alerts = 0;
  for (const result of results) {
    const target = `*${escapeMrkdwn(result.target)}*`;
    if (result.kind === "database") {
      const { report, error } = result.databases[0]!;
      if (!report) {
        alerts += 1;
        lines.push(`:warning: ${target} — could not read: ${errorLine(error)}`);
        continue;
      }
      const found = alertsOf(report).sort(byAlertLevel);
      alerts += found.length;
      lines.push(found.length === 0 ? `:large_green_circle: ${target} — healthy (${report.length} migrations in the ledger)` : `:red_circle: ${target} — ${found.length} need attention`);
      for (const row of found.slice(0, MAX_LISTED)) lines.push(`   ${row.alertLevel} ${code(row.version)} ${STATE(row)}${row.advice ? `: ${escapeMrkdwn(row.advice)}` : ""}`);
      if (found.length > MAX_LISTED) lines.push(`   … and ${found.length - MAX_LISTED} more`);
      continue;
    }
    const groups = groupedAlerts(result);
    const unreadable = result.databases.filter((database) => database.error).length;
    alerts += groups.length + (unreadable > 0 ? 1 : 0);
    lines.push(`${groups.length === 0 && unreadable === 0 ? ":large_green_circle:" : ":red_circle:"} ${target} — fleet of ${result.databases.length}${groups.length === 0 ? (unreadable === 0 ? ", healthy" : "") : `, ${groups.length} alert group(s)`}`);
    for (const group of groups.slice(0, MAX_LISTED)) {
      lines.push(`   ${group.alertLevel} ${code(group.version)} ${STATE(group)} on ${group.databases.length} of ${result.databases.length} (${names(group.databases)})`);
    }
    if (groups.length > MAX_LISTED) lines.push(`   … and ${groups.length - MAX_LISTED} more groups`);
    lines.push(...unreadableLine(result));
  }
  return targetsMessage(
    alerts === 0 ? `${environment}: healthy across ${results.length} target(s)` : `${environment}: ${alerts} need attention across targets`,
    `*${escapeMrkdwn(environment)}* — health across targets`,
    lines,
    `rookery health --env ${environment}`,
  );
}
