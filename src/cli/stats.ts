import * as z from "zod";
import { UsageError } from "../errors.ts";
import { getStats, sparkline, type StatsReport } from "../runner/stats.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { configFor, runCommand, shortTime, table } from "./format.ts";

const HELP = `Usage: rookery stats [--env NAME] [--days N]

The migration dashboard of the last N days (default 30): applied, failed and rolled back per hour,
and the mean time since the previous migration, from the ledger's event history.

${COMMON_HELP}`;

const DAYS = z.coerce.number().int().min(1).max(366);
const HOURS_SHOWN = 24;

/** A gap people read at a glance: 40 s, 12 min, 3.5 h; rounding minutes to hours said "0h". */
export function gapText(hours: number): string {
  const seconds = hours * 3600;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(hours * 10) / 10} h`;
}

function printStats(io: CliIO, report: StatsReport): void {
  const { totals } = report;
  io.stdout(`${report.environment}, last ${report.days} days: ${totals.applied} applied, ${totals.failed} failed, ${totals.rolledBack} rolled back\n`);
  io.stdout(`applied per day  ${sparkline(report.appliedPerDay)}\n`);
  if (report.hours.length === 0) return;
  const rows = report.hours
    .slice(0, HOURS_SHOWN)
    .map((hour) => [shortTime(hour.hour), String(hour.applied), String(hour.failed), String(hour.rolledBack), hour.avgHoursBetween === null ? "-" : gapText(hour.avgHoursBetween)]);
  io.stdout(`\n${table(rows, ["HOUR", "APPLIED", "FAILED", "ROLLED BACK", "AVG GAP"])}`);
  if (report.hours.length > HOURS_SHOWN) io.stdout(`(${report.hours.length - HOURS_SHOWN} older hours with activity: see --json)\n`);
}

export const statsCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { days: { type: "string" } }, async ({ values, positionals }) => {
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, { hint: "See `rookery help stats`." });
      const days = DAYS.safeParse(values.days ?? 30);
      if (!days.success) throw new UsageError(`--days must be a whole number from 1 to 366, not "${values.days}"`, { hint: "rookery stats --days 7" });
      const { environment } = configFor(values, io);
      const report = await getStats(environment, { days: days.data });
      if (values.json) printJson(io, report);
      else printStats(io, report);
      return EXIT.ok;
    }),
};
