import type { IntegrityCheck, VerifyReport } from "../../runner/types.ts";
import type { TargetResult } from "../../targets/index.ts";
import { code, escapeMrkdwn, MAX_LISTED, type SlackMessage } from "./blocks.ts";
import { errorLine, names, targetsMessage, unreadableLine } from "./targets-blocks.ts";

/** As `rookery verify`: a check that FAILs fails the database; WARNINGs do not. */
export function verified(report: VerifyReport): boolean {
  return report.ok && !report.checks.some((check) => check.status === "FAIL");
}

function failures(report: VerifyReport): string {
  const failing: IntegrityCheck[] = report.checks.filter((check) => check.status === "FAIL");
  return failing.map((check) => `*${escapeMrkdwn(check.name)}* ${escapeMrkdwn(check.details.slice(0, 200))}`).join("; ");
}

/**
 * `/migrate verify [version] <env>` of an environment with targets (docs/targets.md): each target passed
 * or failed with its failing checks named; a fleet counted, its failing databases named with their checks.
 */
export function targetsVerifyMessage(environment: string, version: string | undefined, results: TargetResult<VerifyReport>[]): SlackMessage {
  const lines: string[] = [];
  let ok = true;
  for (const result of results) {
    const target = `*${escapeMrkdwn(result.target)}*`;
    if (result.kind === "database") {
      const { report, error } = result.databases[0]!;
      if (!report || !verified(report)) ok = false;
      if (!report) lines.push(`:x: ${target} — could not verify: ${errorLine(error)}`);
      else if (verified(report)) lines.push(`:white_check_mark: ${target} — verified`);
      else lines.push(`:x: ${target} — ${failures(report)}`);
      continue;
    }
    const failing = result.databases.filter((database) => database.report && !verified(database.report));
    const passing = result.databases.filter((database) => database.report && verified(database.report));
    if (failing.length > 0 || passing.length < result.databases.length) ok = false;
    lines.push(`${failing.length === 0 && passing.length === result.databases.length ? ":white_check_mark:" : ":x:"} ${target} — fleet of ${result.databases.length}: ${passing.length} verified, ${failing.length} failed`);
    for (const database of failing.slice(0, MAX_LISTED)) lines.push(`   :x: ${escapeMrkdwn(database.database)}: ${failures(database.report!)}`);
    if (failing.length > MAX_LISTED) lines.push(`   … and ${failing.length - MAX_LISTED} more failing: ${names(failing.slice(MAX_LISTED).map((database) => database.database))}`);
    lines.push(...unreadableLine(result));
  }
  const what = version ? `${code(version)} on *${escapeMrkdwn(environment)}*` : `*${escapeMrkdwn(environment)}*`;
  return targetsMessage(
    `${environment}${version ? ` ${version}` : ""}: verification ${ok ? "passed" : "failed"} across ${results.length} target(s)`,
    `${ok ? ":white_check_mark: verification passed" : ":x: verification failed"} — ${what} across targets`,
    lines,
    `rookery verify${version ? ` ${version}` : ""} --env ${environment}`,
  );
}
