import { importHistory, IMPORT_SOURCES } from "../adopt/index.ts";
import { UsageError } from "../errors.ts";
import { auditOnce } from "../requests/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { cliActor, progressTo, runCommand, targetFor } from "./format.ts";

const HELP = `Usage: rookery import --from ${Object.keys(IMPORT_SOURCES).join("|")}

Reads what another tool recorded as applied in this database (its table is only read, never
changed) and matches it to the folder's files, read in that tool's layout (docs/migration-files.md).
Writes Rookery's ledger rows in one transaction: the applied time and who where the tool kept them
(Flyway, goose, node-pg-migrate), today's checksums and rollback scripts, an \`imported\` event each;
the control audit log gets a line. \`rookery status\` then shows pending only what the tool never
applied. Where Rookery's ledger would sit on the tool's own \`schema_migrations\` (golang-migrate,
dbmate), set \`ledgerSchema\` for the environment first.

Options:
  --from TOOL     the tool whose ledger to read
  --table S.NAME  which of the tool's tables, where the database has several (one per schema)

${COMMON_HELP}
Exit 1 when the tool's ledger is not here, holds versions no file has, or is in a state the tool
itself refuses (golang-migrate dirty, Flyway failed rows): nothing is written. Exit 2 when the
folder is in another layout or TOOL is unknown.`;

export const importCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { from: { type: "string" }, table: { type: "string" } }, async ({ values, positionals }) => {
      if (values.from === undefined || positionals.length > 0) {
        throw new UsageError("import takes --from TOOL (and --table SCHEMA.NAME) and nothing else", { hint: `rookery import --from ${Object.keys(IMPORT_SOURCES).join("|")}` });
      }
      const { environment, catalog, config } = targetFor(values, io);
      const actor = cliActor(io.env);
      const report = await importHistory({ environment, catalog, actor, onProgress: progressTo(io) }, { from: values.from, ...(values.table !== undefined ? { table: values.table } : {}) });
      await auditOnce(config.controlDatabaseUrl, {
        actor,
        action: "command.import",
        environment: environment.name,
        detail: { from: report.from, table: report.table, imported: report.imported },
      });
      if (values.json) printJson(io, { ok: true, ...report });
      else {
        for (const version of report.imported) io.stdout(`${version}  imported\n`);
        io.stdout(`${report.imported.length} version(s) imported from ${report.table} (left as it was)${report.alreadyRecorded.length ? `; ${report.alreadyRecorded.length} already recorded` : ""}\n`);
      }
      return EXIT.ok;
    }),
};
