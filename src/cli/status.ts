import { getStatus } from "../runner/status.ts";
import type { MigrationState, StatusReport } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { analysisNotes, findingsText, runCommand, shortTime, summarize, table, targetFor, type MigrationSummary } from "./format.ts";

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

type SummarizedState = MigrationState & {
  [K in keyof MigrationSummary]: MigrationSummary[K] | null;
};

function printStatus(io: CliIO, report: Omit<StatusReport, "migrations"> & { migrations: SummarizedState[] }): void {
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
    migration.type ?? "-",
    findingsText(migration.findings),
    migration.description,
    flags(migration),
  ]);
  io.stdout(table(rows, ["VERSION", "STATE", "APPLIED", "BY", "TYPE", "LINT", "DESCRIPTION", "FLAGS"]));
  io.stdout(analysisNotes(report.migrations));
  io.stdout(foreignLedgerNotes(report));
}

/** Other tools' ledgers found here; what to do is said while Rookery's own ledger is still empty. */
function foreignLedgerNotes(report: Pick<StatusReport, "foreignLedgers" | "counts">): string {
  if (report.foreignLedgers.length === 0) return "";
  const empty = report.counts.applied + report.counts.failed + report.counts.rolledBack === 0;
  const lines = report.foreignLedgers.map(
    (ledger) => `  ${ledger.tool}: ${ledger.table}, ${ledger.rows} row(s)${empty ? `; ${ledger.advice}` : ""}`,
  );
  return `\nOther migration tools' ledgers in this database (left as they are):\n${lines.join("\n")}\n`;
}

export const statusCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values }) => {
      const { environment, catalog } = targetFor(values, io);
      const status = await getStatus(environment, catalog);
      // An applied file whose checksum is the one recorded is the text that ran: parsing it again says
      // nothing new and costs the most on the largest files. What would run (or drifted) is analysed.
      const summaries = await summarize(
        status.migrations.flatMap((migration) =>
          migration.state === "applied" && !migration.drift ? [] : (catalog.byVersion.get(migration.version) ?? []),
        ),
      );
      const report = {
        ...status,
        // Null where nothing was analysed (applied and unchanged, or the file is gone), not a guess.
        migrations: status.migrations.map((migration): SummarizedState => {
          const summary = summaries.get(migration.version);
          return {
            ...migration,
            type: summary?.type ?? null,
            typeInfo: summary?.typeInfo ?? null,
            findings: summary?.findings ?? null,
            syntaxError: summary?.syntaxError ?? null,
          };
        }),
      };
      if (values.json) printJson(io, { ok: true, ...report });
      else printStatus(io, report);
      return EXIT.ok;
    }),
};
