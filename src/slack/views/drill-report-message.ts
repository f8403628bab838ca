import type { Environment } from "../../config/index.ts";
import type { DrillReport } from "../../runner/drill.ts";
import { andMore, code, context, escapeMrkdwn, inertExcerpt, MAX_LISTED, section, type SlackMessage } from "./blocks.ts";

/** A rollback drill's report for the alert channel: the counts, then each failure with its differences. */
export function drillReportMessage(environment: Environment, report: DrillReport): SlackMessage {
  const { proven, failed, skipped, notReached } = report.counts;
  const counts = `proven ${proven}, failed ${failed}, skipped ${skipped} (no rollback)${notReached ? `, not reached ${notReached}` : ""}`;
  const failures = report.versions.filter((version) => version.outcome === "failed");
  const shown = failures.slice(0, MAX_LISTED);
  const where = `rookery drill --env ${environment.name}`;
  const lines = shown.map((version) => `• ${code(version.version)} ${inertExcerpt(version.description, 100)}: ${inertExcerpt(version.differences.join("; "), 600)}`);
  return {
    text: `Rollback drill of ${environment.name}: ${counts}`,
    blocks: [
      section(`${failed > 0 ? ":large_orange_circle: *WARNING*" : ":large_green_circle:"} *Rollback drill* of *${escapeMrkdwn(environment.name)}*: ${counts}`),
      ...(lines.length > 0 ? [section([...lines, andMore(failures.length, shown.length, where)].filter(Boolean).join("\n"))] : []),
      context(`on a scratch copy of the schema, newest first, in ${Math.round(report.durationMs / 1000)} s · again: ${code(where)}`),
    ],
  };
}
