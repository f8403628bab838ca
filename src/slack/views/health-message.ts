import type { HealthRow } from "../../runner/types.ts";
import { andMore, code, escapeMrkdwn, MAX_LISTED, monospaceTable, section, type SlackMessage } from "./blocks.ts";

export function healthMessage(environment: string, rows: HealthRow[]): SlackMessage {
  const alerts = rows.filter((row) => row.alertLevel === "CRITICAL" || row.alertLevel === "WARNING");
  const headline =
    alerts.length === 0
      ? `*${escapeMrkdwn(environment)}* — :large_green_circle: healthy (${rows.length} migrations in the ledger)`
      : `*${escapeMrkdwn(environment)}* — :red_circle: ${alerts.length} need attention`;
  return {
    text: alerts.length === 0 ? `${environment}: healthy` : `${environment}: ${alerts.length} need attention`,
    blocks: [
      section(headline),
      ...(rows.length > 0
        ? [
            section(
              monospaceTable(
                rows.map((row) => [row.version, row.alertLevel, row.healthStatus, `${Math.round(row.hoursSinceApplication)} h`, row.description.slice(0, 36)]),
                2800,
                `rookery health --env ${environment}`,
              ),
            ),
          ]
        : []),
      ...(alerts.length > 0
        ? [
            section(
              [
                ...alerts
                  .slice(0, MAX_LISTED)
                  .map((row) =>
                    row.status === "failed"
                      ? `${code(row.version)} failed: fix the file and ${code(`/migrate apply ${row.version} ${environment}`)} again`
                      : `${code(row.version)} ${escapeMrkdwn(row.advice ?? `${row.healthStatus.toLowerCase().replace("_", " ")}: keep an eye on it`)}`,
                  ),
                andMore(alerts.length, MAX_LISTED, `rookery health --env ${environment}`),
              ]
                .filter(Boolean)
                .join("\n"),
            ),
          ]
        : []),
    ],
  };
}
