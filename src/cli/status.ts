import { getStatus } from "../runner/index.ts";
import type { MigrationState, StatusReport } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { runCommand, shortTime, table, targetFor } from "./format.ts";

const HELP = `Usage: rookery status

The current version and every migration, in the folder or in the ledger: applied, pending, failed,
rolled back; drift (the file changed since it was applied) and missing files are flagged.

${COMMON_HELP}
Exit 0 whatever the states are (use \`rookery verify\` to fail a pipeline on drift).`;

function flags(migration: MigrationState): string {
  return [migration.drift ? "DRIFT" : "", migration.missingFile ? "MISSING FILE" : "", migration.hasRollback ? "" : "no rollback"]
    .filter(Boolean)
    .join(", ");
}

function printStatus(io: CliIO, report: StatusReport): void {
  const { counts } = report;
  io.stdout(
    `${report.environment}: current version ${report.currentVersion ?? "none"}\n` +
      `applied ${counts.applied}, pending ${counts.pending}, failed ${counts.failed}, rolled back ${counts.rolledBack}, drift ${counts.drift}\n\n`,
  );
  const rows = report.migrations.map((migration) => [
    migration.version,
    migration.state,
    shortTime(migration.appliedAt),
    migration.appliedBy ?? "-",
    migration.description,
    flags(migration),
  ]);
  io.stdout(table(rows, ["VERSION", "STATE", "APPLIED", "BY", "DESCRIPTION", "FLAGS"]));
}

export const statusCommand: CliCommand = {
  name: "status",
  summary: "current version, applied / pending / failed / rolled back migrations, drift",
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values }) => {
      const { environment, catalog } = targetFor(values, io);
      const report = await getStatus(environment, catalog);
      if (values.json) printJson(io, { ok: true, ...report });
      else printStatus(io, report);
      return EXIT.ok;
    }),
};
