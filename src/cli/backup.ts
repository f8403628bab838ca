import { formatBytes, listBackups, restoreBackup } from "../runner/backup.ts";
import { targetDatabases } from "../targets/index.ts";
import { UsageError } from "../errors.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand } from "./command.ts";
import { configFor, runCommand, shortTime, table } from "./format.ts";

const HELP = `Usage: rookery backup list [--env NAME]
       rookery backup restore NAME --into DATABASE_URL [--env NAME]

The environment's pg_dump files (taken before an apply where the environment says backup: true,
kept in backupDir). \`restore\` loads one into another, empty database for inspection; it refuses
the environment's own database.

${COMMON_HELP}`;

export const backupCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { into: { type: "string" } }, async ({ values, positionals }) => {
      const [action, name] = positionals;
      const { config, environment } = configFor(values, io);
      if (action === "list" && positionals.length === 1) {
        const backups = listBackups(environment);
        if (values.json) printJson(io, { environment: environment.name, backups });
        else if (backups.length === 0) io.stdout(`no backups of ${environment.name} in ${environment.backupDir}\n`);
        else io.stdout(table(backups.map((each) => [each.name, formatBytes(each.sizeBytes), shortTime(each.createdAt)]), ["NAME", "SIZE", "TAKEN"]));
        return EXIT.ok;
      }
      if (action === "restore" && name !== undefined && positionals.length === 2) {
        if (!values.into) throw new UsageError("backup restore needs --into DATABASE_URL", { hint: "Name an empty database to restore into." });
        // Nor into a database of its targets: their dumps are listed with the environment's.
        const backup = await restoreBackup(environment, name, values.into, () => targetDatabases(config, environment));
        if (values.json) printJson(io, { ok: true, restored: backup.name });
        else io.stdout(`restored ${backup.name} (${formatBytes(backup.sizeBytes)})\n`);
        return EXIT.ok;
      }
      throw new UsageError("expected `backup list` or `backup restore NAME --into DATABASE_URL`", { hint: "See `rookery help backup`." });
    }),
};
