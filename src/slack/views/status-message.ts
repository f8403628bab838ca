import type { MigrationState, StatusReport } from "../../runner/types.ts";
import { andMore, code, context, escapeMrkdwn, MAX_LISTED, monospaceTable, section, type SlackMessage } from "./blocks.ts";

const STATE_EMOJI: Record<MigrationState["state"], string> = {
  applied: ":white_check_mark:",
  pending: ":hourglass_flowing_sand:",
  failed: ":x:",
  rolled_back: ":leftwards_arrow_with_hook:",
};

function flags(migration: MigrationState): string {
  return [migration.drift ? "DRIFT" : "", migration.missingFile ? "MISSING FILE" : ""].filter(Boolean).join(" ");
}

export function statusMessage(report: StatusReport): SlackMessage {
  const { counts } = report;
  const summary = `applied ${counts.applied} · pending ${counts.pending} · failed ${counts.failed} · rolled back ${counts.rolledBack} · drift ${counts.drift}`;
  const rows = report.migrations.map((migration) => [
    migration.version,
    // Expand-contract: a version between its phases says so (docs/expand-contract.md).
    migration.expansion?.phase ?? migration.state,
    migration.description.slice(0, 40),
    flags(migration),
  ]);
  const problems = report.migrations.filter((migration) => migration.state === "failed" || migration.drift);
  return {
    text: `${report.environment}: current version ${report.currentVersion ?? "none"}`,
    blocks: [
      section(`*${escapeMrkdwn(report.environment)}* — current version ${code(report.currentVersion ?? "none")}\n${summary}`),
      ...(rows.length > 0
        ? [section(monospaceTable(rows, 2800, `rookery status --env ${report.environment}`))]
        : [section("No migrations in the folder or the ledger.")]),
      ...(problems.length > 0
        ? [
            section(
              [
                ...problems
                  .slice(0, MAX_LISTED)
                  .map((migration) => `${STATE_EMOJI[migration.state]} ${code(migration.version)} ${migration.drift ? "changed on disk since it was applied" : "failed"}`),
                andMore(problems.length, MAX_LISTED, `rookery status --env ${report.environment}`),
              ]
                .filter(Boolean)
                .join("\n"),
            ),
          ]
        : []),
    ],
  };
}
