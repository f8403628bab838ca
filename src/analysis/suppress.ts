import { positionOfLocation, scanSync } from "./parse.ts";
import type { Finding, SuppressedFinding } from "./types.ts";

/** `-- rookery:allow RULE-ID reason text`: silences RULE-ID in this migration (both its files). */
export interface Allow {
  rule: string;
  reason: string;
  file: string;
  line: number;
  column: number;
}

const ALLOW_COMMENT = /^--\s*rookery:allow\b[ \t]*(\S*)[ \t]*(.*?)\s*$/i;

/** The allow comments of a file, read with the Postgres scanner so a `--` inside a string is not one. */
export function readAllows(sql: string, file: string): Allow[] {
  if (!/rookery:allow/i.test(sql)) return []; // scanning a large file costs as much as parsing it
  let tokens: { start: number; text: string; tokenName: string }[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return []; // the syntax error is reported on its own
  }
  return tokens.flatMap((token) => {
    if (token.tokenName !== "SQL_COMMENT") return [];
    const match = ALLOW_COMMENT.exec(token.text);
    if (!match) return [];
    return [{ rule: match[1] ?? "", reason: match[2] ?? "", file, ...positionOfLocation(sql, token.start) }];
  });
}

const ALLOW_SAFE_WAY = "Write `-- rookery:allow RULE-ID why this is safe here`; approvers read the reason.";

/** Allow comments that cannot be honoured: they are findings themselves, never silent. */
export function allowProblems(allows: Allow[], knownRules: ReadonlySet<string>): Finding[] {
  return allows.flatMap((allow): Finding[] => {
    const at = { file: allow.file, line: allow.line, column: allow.column, severity: "error" as const, safeWay: ALLOW_SAFE_WAY };
    if (!knownRules.has(allow.rule)) {
      return [
        {
          ...at,
          rule: "allow-names-unknown-rule",
          message: `"rookery:allow ${allow.rule}" names no lint rule, so it silences nothing; see docs/lint.md for the rule ids`,
        },
      ];
    }
    if (allow.reason === "") {
      return [
        {
          ...at,
          rule: "allow-without-reason",
          message: `"rookery:allow ${allow.rule}" gives no reason, so approvers cannot judge it; the finding stays in force`,
        },
      ];
    }
    return [];
  });
}

/** Moves each finding an allow (with a reason) names into `suppressed`, keeping the reason for approvers. */
export function applyAllows(findings: Finding[], allows: Allow[]): { findings: Finding[]; suppressed: SuppressedFinding[] } {
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const allow = allows.find((candidate) => candidate.rule === finding.rule && candidate.reason !== "");
    if (allow) suppressed.push({ ...finding, reason: allow.reason, allowedAt: { file: allow.file, line: allow.line } });
    else kept.push(finding);
  }
  return { findings: kept, suppressed };
}
