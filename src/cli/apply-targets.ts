import type { TargetsReport } from "../targets/index.ts";
import type { CliIO } from "./command.ts";
import { formatMs, table } from "./format.ts";
import { someNames } from "./targets.ts";

/** What ran where: one row per database, then what failed and what did not start, on stderr. */
export function printTargetsReport(io: CliIO, report: TargetsReport): void {
  const rows = report.targets.flatMap((target) =>
    target.databases.map((database) => [
      target.target,
      target.kind === "fleet" ? database.database : "-",
      target.kind === "fleet" ? String(database.wave) : "-",
      database.status.replaceAll("_", " "),
      database.status === "not_started" ? "" : formatMs(database.durationMs),
      database.failed ? `${database.failed.version}: ${database.failed.error}` : database.error ?? database.applied.join(", "),
    ]),
  );
  io.stdout(table(rows, ["TARGET", "DATABASE", "WAVE", "STATUS", "TIME", "APPLIED / ERROR"]));
  const names = (status: string) =>
    report.targets.flatMap((target) => target.databases.filter((database) => database.status === status).map((database) => (target.kind === "fleet" ? `${target.target}/${database.database}` : target.target)));
  const counts = ["applied", "up_to_date", "failed", "not_started"].map((status) => `${names(status).length} ${status.replaceAll("_", " ")}`);
  io.stdout(`${report.environment}: ${counts.join(", ")}\n`);
  for (const target of report.targets) if (target.halted) io.stderr(`rookery: ${target.target}: ${target.halted}\n`);
  if (report.ok) return;
  const failed = names("failed");
  const notStarted = names("not_started");
  io.stderr(`rookery: failed: ${someNames(failed, 20)}\n`);
  if (notStarted.length > 0) io.stderr(`rookery: not started: ${someNames(notStarted, 20)}\n`);
  io.stderr("Fix the failure, then run the same apply again: databases already applied are not run again.\n");
}
