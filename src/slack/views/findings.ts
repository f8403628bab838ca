import type { Finding, MigrationAnalysis } from "../../analysis/index.ts";
import { code, escapeMrkdwn } from "./blocks.ts";

const MAX_FINDINGS = 5;

/** One finding in one line: its severity, rule, line and what breaks for whom. */
export function findingLine(finding: Pick<Finding, "severity" | "rule" | "line" | "message">): string {
  const icon = finding.severity === "error" ? ":no_entry:" : ":warning:";
  return `${icon} ${code(finding.rule)} line ${finding.line}: ${escapeMrkdwn(finding.message)}`;
}

/** The lint findings an approver should read, errors first, plus the suppressed ones with their reasons. */
export function findingLines(analysis: MigrationAnalysis): string[] {
  const lines = analysis.findings.slice(0, MAX_FINDINGS).map(findingLine);
  if (analysis.findings.length > MAX_FINDINGS) lines.push(`… ${analysis.findings.length - MAX_FINDINGS} more findings (\`rookery lint\`)`);
  for (const allowed of analysis.suppressed.slice(0, MAX_FINDINGS)) {
    lines.push(`:speech_balloon: allowed ${code(allowed.rule)}: ${escapeMrkdwn(allowed.reason)}`);
  }
  return lines;
}
