import type { VerifyReport } from "../../runner/types.ts";
import { code, escapeMrkdwn, section, type SlackMessage } from "./blocks.ts";

const ICON = { PASS: ":white_check_mark:", WARNING: ":warning:", FAIL: ":x:" } as const;

export function verifyMessage(report: VerifyReport): SlackMessage {
  const what = report.version ? `${code(report.version)} on *${escapeMrkdwn(report.environment)}*` : `*${escapeMrkdwn(report.environment)}*`;
  return {
    text: `${report.environment}${report.version ? ` ${report.version}` : ""}: verification ${report.ok ? "passed" : "failed"}`,
    blocks: [
      section(`${report.ok ? ":white_check_mark: verification passed" : ":x: verification failed"} — ${what}`),
      section(
        report.checks
          .slice(0, 30)
          .map((check) => `${ICON[check.status]} *${escapeMrkdwn(check.name)}* ${escapeMrkdwn(check.details)}`)
          .join("\n") || "No checks ran.",
      ),
    ],
  };
}
