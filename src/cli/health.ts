import { getHealth } from "../runner/index.ts";
import type { HealthRow } from "../runner/types.ts";
import { alertsOf, byAlertLevel, groupedAlerts } from "../targets/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { runCommand, shortTime, table } from "./format.ts";
import { printTargets, readTargets, someNames, TARGET_HELP, TARGET_OPTIONS, targetsFor, targetsJson, type TargetResult } from "./targets.ts";

const HELP = `Usage: rookery health

The migration_health view: each version's health (NEWLY_APPLIED, HEALTHY, ROLLED_BACK, FAILED) and
alert level (CRITICAL for failed, WARNING for rolled back, INFO after a week, OK), alerts first.

With several targets (docs/targets.md) every database of every target is read; a fleet's alerts are
grouped: one line per version and level, naming the databases.

${TARGET_HELP}

${COMMON_HELP}
Exit 0 even with alerts: health reports, \`rookery verify\` gates.`;

function printHealth(io: CliIO, environment: string, rows: HealthRow[]): void {
  if (rows.length === 0) {
    io.stdout(`${environment}: no migrations in the ledger yet\n`);
    return;
  }
  const sorted = [...rows].sort(byAlertLevel);
  const lines = sorted.map((row) => [
    row.version,
    row.alertLevel,
    row.healthStatus,
    shortTime(row.appliedAt),
    `${row.hoursSinceApplication.toFixed(1)}h`,
    row.description,
  ]);
  io.stdout(table(lines, ["VERSION", "ALERT", "HEALTH", "APPLIED", "AGE", "DESCRIPTION"]));
  const alerts = alertsOf(rows).length;
  io.stdout(`${environment}: ${alerts === 0 ? "no alerts" : `${alerts} alert(s)`}\n`);
}

function printFleetHealth(io: CliIO, environment: string, result: TargetResult<HealthRow[]>): void {
  const groups = groupedAlerts(result);
  io.stdout(`== ${environment}/${result.target}: fleet of ${result.databases.length} database(s) ==\n`);
  for (const group of groups) io.stdout(`${group.alertLevel} ${group.version} ${group.healthStatus} on ${group.databases.length} (${someNames(group.databases)})\n`);
  io.stdout(`${groups.length === 0 ? "no alerts" : `${groups.length} alert group(s)`}\n\n`);
}

export const healthCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, TARGET_OPTIONS, async ({ values }) => {
      const { environment, targets, many, parallel } = targetsFor(values, io);
      if (!many) {
        const rows = await getHealth(environment);
        if (values.json) printJson(io, { ok: true, environment: environment.name, alerts: alertsOf(rows), migrations: rows });
        else printHealth(io, environment.name, rows);
        return EXIT.ok;
      }
      const results = await readTargets(targets, parallel, (database) => getHealth(database));
      const ok = results.every((result) => result.databases.every((database) => !database.error));
      if (values.json) {
        printJson(io, targetsJson(environment.name, ok, results, (rows) => ({ alerts: alertsOf(rows ?? []), migrations: rows }), (result) => ({ groupedAlerts: groupedAlerts(result) })));
      } else {
        printTargets(io, environment.name, results, { fleet: (result) => printFleetHealth(io, environment.name, result), database: (rows) => printHealth(io, environment.name, rows) });
      }
      return ok ? EXIT.ok : EXIT.failed;
    }),
};
