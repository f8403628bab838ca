import { sparkline, type StatsReport } from "../../runner/stats.ts";
import type { TargetResult } from "../../targets/index.ts";
import { code, escapeMrkdwn, type SlackMessage } from "./blocks.ts";
import { errorLine, targetsMessage, unreadableLine } from "./targets-blocks.ts";

export interface TargetStats {
  target: string;
  totals: StatsReport["totals"];
  /** Oldest day first; a fleet's databases added up. */
  appliedPerDay: number[];
}

/** Each target's totals and applied per day, a fleet's databases added up. Unreadable databases count as nothing. */
export function statsPerTarget(results: TargetResult<StatsReport>[], days: number): TargetStats[] {
  return results.map((result) => {
    const reports = result.databases.flatMap((database) => (database.report ? [database.report] : []));
    const sum = (pick: (report: StatsReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
    return {
      target: result.target,
      totals: { applied: sum((report) => report.totals.applied), failed: sum((report) => report.totals.failed), rolledBack: sum((report) => report.totals.rolledBack) },
      appliedPerDay: Array.from({ length: days }, (_, day) => sum((report) => report.appliedPerDay[day] ?? 0)),
    };
  });
}

const totalsText = (totals: StatsReport["totals"]) => `${totals.applied} applied, ${totals.failed} failed, ${totals.rolledBack} rolled back`;

/**
 * `/migrate stats` of an environment with targets (docs/targets.md): one line per target with its totals
 * and applied per day; a fleet added up over its databases, the busiest named, not a line per database.
 */
export function targetsStatsMessage(environment: string, results: TargetResult<StatsReport>[], days: number): SlackMessage {
  const perTarget = statsPerTarget(results, days);
  const lines = results.flatMap((result, index) => {
    const stats = perTarget[index]!;
    const heading = `*${escapeMrkdwn(result.target)}*`;
    if (result.kind === "database" && !result.databases[0]!.report) return [`${heading} — :warning: ${errorLine(result.databases[0]!.error)}`];
    const busiest = result.kind === "fleet" ? result.databases.filter((database) => database.report).sort((a, b) => b.report!.totals.applied - a.report!.totals.applied)[0] : undefined;
    return [
      `${heading}${result.kind === "fleet" ? ` — fleet of ${result.databases.length}` : ""} — ${totalsText(stats.totals)} · applied per day ${code(sparkline(stats.appliedPerDay))}`,
      ...(busiest && busiest.report!.totals.applied > 0 ? [`   busiest: ${escapeMrkdwn(busiest.database)} (${busiest.report!.totals.applied} applied)`] : []),
      ...(result.kind === "fleet" ? unreadableLine(result) : []),
    ];
  });
  const all = perTarget.reduce((sum, stats) => ({ applied: sum.applied + stats.totals.applied, failed: sum.failed + stats.totals.failed, rolledBack: sum.rolledBack + stats.totals.rolledBack }), { applied: 0, failed: 0, rolledBack: 0 });
  return targetsMessage(
    `${environment}, last ${days} days across ${results.length} target(s): ${totalsText(all)}`,
    `*${escapeMrkdwn(environment)}* across targets, last ${days} days (oldest day on the left)`,
    lines,
    `rookery stats --env ${environment}`,
  );
}
