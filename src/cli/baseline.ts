import { baselineMigrations } from "../adopt/index.ts";
import { parseVersion } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { auditOnce } from "../requests/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { cliActor, progressTo, runCommand, targetFor } from "./format.ts";

const HELP = `Usage: rookery baseline VERSION [--reason TEXT]

For a database that already has the schema of the migrations up to VERSION (built before Rookery,
or by a tool whose ledger \`rookery import\` cannot read): records every migration of the folder up
to and including VERSION as applied WITHOUT running it, with its checksum and rollback script, one
\`baselined\` event each, in one transaction; the control audit log gets a line. \`apply --all\`
then runs only what is newer. Versions already in the ledger are left as they are. Like Flyway's
baseline and Liquibase's changelog-sync.

Options:
  --reason TEXT   why, recorded with each event

${COMMON_HELP}
Exit 1 when a version up to VERSION failed or was rolled back here (the database does not have it),
2 when VERSION is not in the folder or malformed.`;

export const baselineCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { reason: { type: "string" } }, async ({ values, positionals }) => {
      if (positionals.length !== 1) {
        throw new UsageError(`baseline takes exactly one version, got ${positionals.length}`, { hint: "rookery baseline 20251101_000004" });
      }
      const version = parseVersion(positionals[0]!);
      const { environment, catalog, config } = targetFor(values, io);
      const actor = cliActor(io.env);
      const report = await baselineMigrations({ environment, catalog, actor, onProgress: progressTo(io) }, { version, reason: values.reason });
      await auditOnce(config.controlDatabaseUrl, {
        actor,
        action: "command.baseline",
        environment: environment.name,
        detail: { version, baselined: report.baselined, reason: values.reason ?? null },
      });
      if (values.json) printJson(io, { ok: true, ...report });
      else {
        for (const recorded of report.baselined) io.stdout(`${recorded}  baselined\n`);
        io.stdout(`${report.baselined.length} version(s) up to ${version} recorded as applied without running them${report.alreadyApplied.length ? `; ${report.alreadyApplied.length} already applied` : ""}\n`);
      }
      return EXIT.ok;
    }),
};
