import type { Finding, MigrationAnalysis } from "../analysis/index.ts";
import type { Environment } from "../config/index.ts";

export interface LintVerdict {
  /** True when findings stop the request before approval, until an approver overrides explicitly. */
  blocked: boolean;
  /** Findings whose severity the environment's `blockOn` lists, and every syntax error. */
  blocking: Finding[];
  /** Approvals needed on top of the environment's `approvals`: one when any migration is a DDL Delete. */
  extraApprovals: number;
  /** One line per reason, for the request message and the audit log. */
  reasons: string[];
}

/**
 * The lint part of an environment's policy, as a pure function of the analyses. A syntax error always
 * blocks: that file cannot run, whatever `blockOn` says.
 */
export function lintGate(environment: Pick<Environment, "name" | "blockOn" | "approvals">, analyses: readonly MigrationAnalysis[]): LintVerdict {
  const blocking = analyses.flatMap((analysis) =>
    analysis.findings.filter((finding) => finding.rule === "syntax-error" || environment.blockOn.includes(finding.severity)),
  );
  const deletes = analyses.filter((analysis) => analysis.type === "DDL Delete");
  const extraApprovals = deletes.length > 0 ? 1 : 0;
  const reasons = [
    ...blocking.map((finding) => `${finding.file}:${finding.line}:${finding.column} ${finding.rule} (${finding.severity}, blocks in ${environment.name}): ${finding.message}`),
    ...deletes.map(
      (analysis) =>
        `${analysis.version || analysis.path} is a DDL Delete (deprecation first, high-risk rollback): ${environment.approvals + extraApprovals} approval(s) instead of ${environment.approvals}`,
    ),
  ];
  return { blocked: blocking.length > 0, blocking, extraApprovals, reasons };
}
