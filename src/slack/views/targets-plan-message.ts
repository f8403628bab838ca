import type { PlanStep } from "../../runner/types.ts";
import type { TargetResult } from "../../targets/index.ts";
import { andMore, code, escapeMrkdwn, MAX_LISTED, type SlackMessage } from "./blocks.ts";
import { errorLine, names, targetsMessage, unreadableLine } from "./targets-blocks.ts";

function stepLine(step: PlanStep): string {
  const notes = [step.reapply ? "re-apply" : "", step.outsideTransaction ? "outside a transaction" : "", step.hasRollback ? "" : "*no rollback file*"].filter(Boolean);
  return `   ${code(step.version)} ${escapeMrkdwn(step.description)}${notes.length > 0 ? ` _(${notes.join(", ")})_` : ""}`;
}

/**
 * `/migrate plan <env>` of an environment with targets (docs/targets.md): each single database's pending
 * migrations in order, and a fleet's databases grouped by what each would apply.
 */
export function targetsPlanMessage(environment: string, results: TargetResult<PlanStep[]>[]): SlackMessage {
  const more = `rookery plan --env ${environment}`;
  const lines: string[] = [];
  let pending = 0;
  for (const result of results) {
    const target = `*${escapeMrkdwn(result.target)}*`;
    if (result.kind === "database") {
      const { report, error } = result.databases[0]!;
      if (!report) lines.push(`${target} — :warning: ${errorLine(error)}`);
      else if (report.length === 0) lines.push(`${target} — nothing pending`);
      else {
        pending += report.length;
        lines.push(`${target} — ${report.length} pending, in this order:`, ...report.slice(0, MAX_LISTED).map(stepLine));
        const rest = andMore(report.length, MAX_LISTED, `${more} --target ${result.target}`);
        if (rest) lines.push(`   ${rest}`);
      }
      continue;
    }
    lines.push(`${target} — fleet of ${result.databases.length}`);
    const groups = new Map<string, { steps: PlanStep[]; databases: string[] }>();
    for (const database of result.databases) {
      if (!database.report) continue;
      pending += database.report.length;
      const key = database.report.map((step) => step.version).join(" ");
      const group = groups.get(key) ?? { steps: database.report, databases: [] };
      group.databases.push(database.database);
      groups.set(key, group);
    }
    const listed = [...groups.values()];
    for (const { steps, databases } of listed.slice(0, MAX_LISTED)) {
      const what = steps.length === 0 ? "up to date" : `would apply ${steps.slice(0, MAX_LISTED).map((step) => code(step.version)).join(" ")}${steps.length > MAX_LISTED ? ` and ${steps.length - MAX_LISTED} more` : ""}`;
      lines.push(`   ${databases.length} ${what} (${names(databases)})`);
    }
    const rest = listed.slice(MAX_LISTED);
    if (rest.length > 0) lines.push(`   … and ${rest.length} more groups (${rest.reduce((sum, group) => sum + group.databases.length, 0)} databases)`);
    const described = new Map<string, PlanStep>();
    for (const { steps } of groups.values()) for (const step of steps) if (!described.has(step.version)) described.set(step.version, step);
    lines.push(...[...described.values()].sort((a, b) => a.version.localeCompare(b.version)).slice(0, MAX_LISTED).map(stepLine));
    if (described.size > MAX_LISTED) lines.push(`   … and ${described.size - MAX_LISTED} more versions: ${code(`${more} --target ${result.target}`)}`);
    lines.push(...unreadableLine(result));
  }
  if (pending > 0) lines.push(`Apply with \`/migrate apply all ${escapeMrkdwn(environment)}\`: one request, one approval for every target.`);
  return targetsMessage(`${environment}: plan across ${results.length} target(s)`, `*${escapeMrkdwn(environment)}* — plan across targets`, lines, more);
}
