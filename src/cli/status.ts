import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { describeExpansion } from "../expand/summary.ts";
import { deprecationReport } from "../runner/deprecation.ts";
import { getStatus } from "../runner/status.ts";
import { catalogInTurnsOf } from "../targets/resolve.ts";
import { summarizeFleetStatus } from "../targets/fleet-status.ts";
import type { MigrationState, StatusReport } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { analysisNotes, findingsText, runCommand, shortTime, summarize, table, type MigrationSummary } from "./format.ts";
import { printTargets, readTargets, someNames, TARGET_HELP, TARGET_OPTIONS, targetsFor, targetsJson, type TargetResult } from "./targets.ts";

const HELP = `Usage: rookery status

The current version and every migration, in the folder or in the ledger: applied, pending, failed,
rolled back; drift (the file changed since it was applied) and missing files are flagged.

With several targets (docs/targets.md) every target is shown in targetOrder; a fleet as how many
databases are at which version, with the failed, pending and drifted ones named.

${TARGET_HELP}

${COMMON_HELP}
Exit 0 whatever the states are (use \`rookery verify\` to fail a pipeline on drift); 1 when a
database of a target could not be read.`;

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
      `applied ${counts.applied}, pending ${counts.pending}, failed ${counts.failed}, rolled back ${counts.rolledBack}, drift ${counts.drift}` +
      `${counts.rollbackFailed ? `, ROLLBACK FAILED ${counts.rollbackFailed} (CRITICAL)` : ""}\n\n`,
  );
  const rows = report.migrations.map((migration) => [
    migration.version,
    migration.rollbackFailed ? `${migration.state} (rollback FAILED)` : (migration.expansion?.phase ?? migration.state),
    shortTime(migration.appliedAt),
    migration.appliedBy ?? "-",
    migration.type ?? "-",
    findingsText(migration.findings),
    migration.description,
    flags(migration),
  ]);
  io.stdout(table(rows, ["VERSION", "STATE", "APPLIED", "BY", "TYPE", "LINT", "DESCRIPTION", "FLAGS"]));
  io.stdout(analysisNotes(report.migrations));
  for (const migration of report.migrations) {
    if (!migration.expansion) continue;
    // An interrupted expand is resumed by apply; complete refuses it until it is expanded.
    const next = migration.expansion.phase === "expanding" ? `rookery apply ${migration.version} to resume it` : `rookery complete ${migration.version}`;
    io.stdout(`${migration.version}: ${describeExpansion(migration.expansion)}; next: ${next}, or rollback to abort\n`);
    for (const line of migration.expansion.deprecation?.lines ?? []) io.stdout(`  ${line}\n`);
  }
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

/** The engine's status with the analysis of what is not applied (or drifted): type, findings, syntax error. */
async function statusWithAnalysis(environment: Environment, catalogOrReading: Catalog | Promise<Catalog>) {
  const status = await getStatus(environment, catalogOrReading);
  const catalog = await catalogOrReading;
  // An expanded version that drops columns or tables: whether queries still use them (pg_stat_statements).
  for (const migration of status.migrations) {
    if (migration.expansion?.phase !== "expanded") continue;
    const deprecation = await deprecationReport(environment, migration.version, { marks: "plain" });
    if (deprecation) migration.expansion = { ...migration.expansion, deprecation };
  }
  // An applied file whose checksum is the one recorded is the text that ran: parsing it again says
  // nothing new and costs the most on the largest files. What would run (or drifted) is analysed.
  const applied = new Set(status.migrations.filter((migration) => migration.state === "applied").map((migration) => migration.version));
  const summaries = await summarize(
    environment,
    catalog,
    status.migrations.flatMap((migration) =>
      migration.state === "applied" && !migration.drift ? [] : (catalog.byVersion.get(migration.version) ?? []),
    ),
    applied,
  );
  return {
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
}

type StatusWithAnalysis = Awaited<ReturnType<typeof statusWithAnalysis>>;

function printFleetStatus(io: CliIO, environment: string, result: TargetResult<StatusWithAnalysis>): void {
  const summary = summarizeFleetStatus(result.databases);
  const lines = [`== ${environment}/${result.target}: fleet of ${summary.databases} database(s) ==`];
  for (const group of summary.versions) lines.push(`at ${group.version ?? "no version"}: ${group.databases.length} (${someNames(group.databases)})`);
  if (summary.pending.length > 0) lines.push(`pending: ${summary.pending.length} database(s) (${someNames(summary.pending.map((entry) => `${entry.database} ${entry.count}`))})`);
  for (const entry of summary.failed) lines.push(`FAILED: ${entry.database} (${entry.versions.join(", ")})`);
  for (const entry of summary.drift) lines.push(`DRIFT: ${entry.database} (${entry.versions.join(", ")})`);
  io.stdout(`${lines.join("\n")}\n\n`);
}

export const statusCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, TARGET_OPTIONS, async ({ values }) => {
      const { environment, targets, many, parallel } = targetsFor(values, io);
      if (!many) {
        // The folder is read in turns while the session's round trips are out (its errors still come first).
        const report = await statusWithAnalysis(environment, catalogInTurnsOf(targets[0]!));
        if (values.json) printJson(io, { ok: true, ...report });
        else printStatus(io, report);
        return EXIT.ok;
      }
      const results = await readTargets(targets, parallel, statusWithAnalysis);
      const ok = results.every((result) => result.databases.every((database) => !database.error));
      if (values.json) printJson(io, targetsJson(environment.name, ok, results, (report) => ({ ...report }), (result) => ({ summary: summarizeFleetStatus(result.databases) })));
      else printTargets(io, environment.name, results, { fleet: (result) => printFleetStatus(io, environment.name, result), database: (report) => printStatus(io, report) });
      return ok ? EXIT.ok : EXIT.failed;
    }),
};
