import { getHealth } from "../runner/index.ts";
import type { HealthRow } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { configFor, runCommand, shortTime, table } from "./format.ts";

const HELP = `Usage: rookery health

The migration_health view: each version's health (NEWLY_APPLIED, HEALTHY, ROLLED_BACK, FAILED) and
alert level (CRITICAL for failed, WARNING for rolled back, INFO after a week, OK), alerts first.

${COMMON_HELP}
Exit 0 even with alerts: health reports, \`rookery verify\` gates.`;

const ALERT_ORDER: Record<HealthRow["alertLevel"], number> = { CRITICAL: 0, WARNING: 1, INFO: 2, OK: 3 };

export function alertsOf(rows: HealthRow[]): HealthRow[] {
  return rows.filter((row) => row.alertLevel === "CRITICAL" || row.alertLevel === "WARNING");
}

function printHealth(io: CliIO, environment: string, rows: HealthRow[]): void {
  if (rows.length === 0) {
    io.stdout(`${environment}: no migrations in the ledger yet\n`);
    return;
  }
  const sorted = [...rows].sort((a, b) => ALERT_ORDER[a.alertLevel] - ALERT_ORDER[b.alertLevel]);
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

export const healthCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values }) => {
      const { environment } = configFor(values, io);
      const rows = await getHealth(environment);
      if (values.json) printJson(io, { ok: true, environment: environment.name, alerts: alertsOf(rows), migrations: rows });
      else printHealth(io, environment.name, rows);
      return EXIT.ok;
    }),
};
