import { createPool } from "../db/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { createLogger } from "../log/logger.ts";
import { ensureControlSchema } from "../requests/index.ts";
import { describeDrill, type DrillReport } from "../runner/drill.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { formatMs, runCommand, table, targetFor } from "./format.ts";

const HELP = `Usage: rookery drill --env NAME [--max-minutes N]

A rollback drill, now: every applied migration of the environment that has a stored rollback script is
proven again on a scratch copy of its schema (a new database from pg_dump --schema-only, dropped
afterwards), newest first: its stored rollback, apply again from the file, rollback again, the catalog
compared each time. The environment itself is only read. Versions without a rollback (or whose file
changed since they were applied) are skipped; the drill stops starting versions after --max-minutes
(default: the environment's drills.maxMinutes, else 30).

The verdicts are recorded in the control database: a version whose rollback no longer proves is a
WARNING of the health poll until a drill proves it again. With SLACK_BOT_TOKEN set the report also goes
to the environment's alertChannel. A worker runs the same drill on the schedule of \`drills:\` in the config.

Options:
  --max-minutes N   stop starting versions after N minutes

${COMMON_HELP}
Exit 1 when a rollback failed to prove (each difference named).`;

function printReport(io: CliIO, report: DrillReport): void {
  const rows = report.versions.map((version) => [
    version.version,
    version.outcome.replace("_", " "),
    version.outcome === "not_reached" || version.outcome === "skipped" ? "" : formatMs(version.durationMs),
    version.outcome === "failed" ? version.differences.join("; ") : (version.reason ?? version.description),
  ]);
  io.stdout(table(rows, ["version", "drill", "time", "detail"]));
  io.stdout(`${describeDrill(report).split("\n")[0]}\n`);
}

export const drillCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { "max-minutes": { type: "string" } }, async ({ values }) => {
      const maxMinutes = values["max-minutes"] === undefined ? undefined : Number(values["max-minutes"]);
      if (maxMinutes !== undefined && (!Number.isFinite(maxMinutes) || maxMinutes <= 0)) {
        throw new UsageError(`--max-minutes must be a positive number of minutes, not "${values["max-minutes"]}"`);
      }
      const { config, environment } = targetFor(values, io);
      const logger = createLogger({ level: "silent" });
      const [{ logNotifier, runDrill }, { slackNotifierFromConfig }] = await Promise.all([import("../queue/index.ts"), import("../slack/notifier.ts")]);
      const slack = slackNotifierFromConfig(config, logger);
      const controlPool = createPool(config.controlDatabaseUrl, { max: 2, applicationName: "rookery-drill" });
      try {
        await ensureControlSchema(controlPool);
        const result = await runDrill({ config, controlPool, notifier: slack?.notifier ?? logNotifier(logger), logger }, environment.name, maxMinutes);
        if ("skipped" in result) throw new RookeryError(`${result.skipped}; try again when it has finished`);
        if (values.json) printJson(io, { ok: result.counts.failed === 0, ...result });
        else printReport(io, result);
        return result.counts.failed === 0 ? EXIT.ok : EXIT.failed;
      } finally {
        await controlPool.end().catch(() => {});
        await slack?.close();
      }
    }),
};
