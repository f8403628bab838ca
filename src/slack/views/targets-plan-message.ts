import type { Finding } from "../../analysis/index.ts";
import type { PlanStep } from "../../runner/types.ts";
import type { TargetResult } from "../../targets/index.ts";
import { andMore, code, escapeMrkdwn, MAX_LISTED, type SlackMessage } from "./blocks.ts";
import { findingLine } from "./findings.ts";
import { errorLine, names, targetsMessage, unreadableLine } from "./targets-blocks.ts";

/** A pending step with its type and lint findings, as `rookery lint` finds them on that database (src/runner/lint-knowledge.ts). */
export type PlannedStep = PlanStep & { type?: string; findings?: Finding[] };

/** Findings shown per migration across targets; the rest counted (the whole list: `rookery plan`). */
const MAX_FINDINGS = 3;

function stepLine(step: PlannedStep): string {
  const notes = [step.reapply ? "re-apply" : "", step.outsideTransaction ? "outside a transaction" : "", step.hasRollback ? "" : "*no rollback file*"].filter(Boolean);
  return `   ${code(step.version)} ${escapeMrkdwn(step.description)}${notes.length > 0 ? ` _(${notes.join(", ")})_` : ""}${step.type ? ` · *${escapeMrkdwn(step.type)}*` : ""}`;
}

/** A finding on some of the databases that would run the version: how many, when not all. */
interface FleetFinding {
  finding: Finding;
  databases: number;
}

function findingsLines(findings: FleetFinding[], of: number, more: string): string[] {
  const lines = findings.slice(0, MAX_FINDINGS).map(({ finding, databases }) => `      ${findingLine(finding)}${databases < of ? ` _(on ${databases} of ${of})_` : ""}`);
  if (findings.length > MAX_FINDINGS) lines.push(`      … ${findings.length - MAX_FINDINGS} more findings: ${code(more)}`);
  return lines;
}

/** Each version's findings over the databases that would run it, the same rule and line counted once. */
function fleetFindings(reports: PlannedStep[][]): Map<string, { of: number; findings: FleetFinding[] }> {
  const byVersion = new Map<string, { of: number; findings: Map<string, FleetFinding> }>();
  for (const steps of reports) {
    for (const step of steps) {
      const entry = byVersion.get(step.version) ?? { of: 0, findings: new Map<string, FleetFinding>() };
      entry.of += 1;
      for (const finding of step.findings ?? []) {
        const key = `${finding.rule} ${finding.file} ${finding.line}`;
        const seen = entry.findings.get(key) ?? { finding, databases: 0 };
        seen.databases += 1;
        entry.findings.set(key, seen);
      }
      byVersion.set(step.version, entry);
    }
  }
  return new Map([...byVersion].map(([version, { of, findings }]) => [version, { of, findings: [...findings.values()].sort((a, b) => (a.finding.severity === b.finding.severity ? 0 : a.finding.severity === "error" ? -1 : 1)) }]));
}

/**
 * `/migrate plan <env>` of an environment with targets (docs/targets.md): each single database's pending
 * migrations in order, and a fleet's databases grouped by what each would apply.
 */
export function targetsPlanMessage(environment: string, results: TargetResult<PlannedStep[]>[]): SlackMessage {
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
        const lint = `${more} --target ${result.target}`;
        lines.push(
          `${target} — ${report.length} pending, in this order:`,
          ...report.slice(0, MAX_LISTED).flatMap((step) => [stepLine(step), ...findingsLines((step.findings ?? []).map((finding) => ({ finding, databases: 1 })), 1, lint)]),
        );
        const rest = andMore(report.length, MAX_LISTED, `${more} --target ${result.target}`);
        if (rest) lines.push(`   ${rest}`);
      }
      continue;
    }
    lines.push(`${target} — fleet of ${result.databases.length}`);
    const groups = new Map<string, { steps: PlannedStep[]; databases: string[] }>();
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
    const described = new Map<string, PlannedStep>();
    for (const { steps } of groups.values()) for (const step of steps) if (!described.has(step.version)) described.set(step.version, step);
    const findings = fleetFindings(result.databases.flatMap((database) => (database.report ? [database.report] : [])));
    const lint = `${more} --target ${result.target}`;
    lines.push(
      ...[...described.values()]
        .sort((a, b) => a.version.localeCompare(b.version))
        .slice(0, MAX_LISTED)
        .flatMap((step) => [stepLine(step), ...findingsLines(findings.get(step.version)?.findings ?? [], findings.get(step.version)?.of ?? 0, lint)]),
    );
    if (described.size > MAX_LISTED) lines.push(`   … and ${described.size - MAX_LISTED} more versions: ${code(`${more} --target ${result.target}`)}`);
    lines.push(...unreadableLine(result));
  }
  if (pending > 0) lines.push(`Apply with \`/migrate apply all ${escapeMrkdwn(environment)}\`: one request, one approval for every target.`);
  return targetsMessage(`${environment}: plan across ${results.length} target(s)`, `*${escapeMrkdwn(environment)}* — plan across targets`, lines, more);
}
