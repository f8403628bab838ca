import type { HistoryEvent } from "../../runner/types.ts";
import type { TargetResult } from "../../targets/index.ts";
import { code, escapeMrkdwn, inertExcerpt, type SlackMessage } from "./blocks.ts";
import { errorLine, targetsMessage, unreadableLine } from "./targets-blocks.ts";

/** One event in one line: when, version, what, who, why (the reason made inert, cut short). */
function eventLine(event: HistoryEvent, database?: string): string {
  const where = database ? `${escapeMrkdwn(database)} · ` : "";
  const reason = event.reason ? ` — ${inertExcerpt(event.reason.replace(/\s+/g, " "), 80)}` : "";
  return `   ${code(event.at.slice(0, 16).replace("T", " "))} ${where}${code(event.version ?? "-")} ${escapeMrkdwn(event.event)} by ${escapeMrkdwn(event.actor)}${reason}`;
}

/**
 * `/migrate history` of an environment with targets (docs/targets.md): each target's last events, newest
 * first; a fleet's databases merged into one list naming the database of each event, not a block per database.
 */
export function targetsHistoryMessage(environment: string, results: TargetResult<HistoryEvent[]>[], count: number): SlackMessage {
  const lines: string[] = [];
  for (const result of results) {
    const heading = `*${escapeMrkdwn(result.target)}*`;
    if (result.kind === "database") {
      const { report, error } = result.databases[0]!;
      if (!report) lines.push(`${heading} — :warning: ${errorLine(error)}`);
      else lines.push(`${heading} — ${report.length === 0 ? "no migration events yet" : `last ${report.length} event(s), newest first`}`, ...report.map((event) => eventLine(event)));
      continue;
    }
    const merged = result.databases
      .flatMap((database) => (database.report ?? []).map((event) => ({ event, database: database.database })))
      .sort((a, b) => b.event.at.localeCompare(a.event.at))
      .slice(0, count);
    lines.push(`${heading} — fleet of ${result.databases.length}: ${merged.length === 0 ? "no migration events yet" : `last ${merged.length} event(s) across its databases, newest first`}`);
    lines.push(...merged.map(({ event, database }) => eventLine(event, database)), ...unreadableLine(result));
  }
  return targetsMessage(`${environment}: history across ${results.length} target(s)`, `*${escapeMrkdwn(environment)}* across targets`, lines, `rookery history --env ${environment}`);
}
