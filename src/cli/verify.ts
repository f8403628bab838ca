import { parseVersion } from "../catalog/index.ts";
import { verifyMigrations } from "../runner/index.ts";
import type { VerifyReport } from "../runner/types.ts";
import { catalogOf } from "../targets/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { runCommand, table } from "./format.ts";
import { printTargets, readTargets, TARGET_HELP, TARGET_OPTIONS, targetsFor, targetsJson, type TargetResult } from "./targets.ts";

const HELP = `Usage: rookery verify [VERSION]

Integrity checks: the version is recorded as applied (when given), the environment's critical
tables exist, no table outside the expected schemas is orphaned, applied files still match their
recorded checksums (drift), and no index was left INVALID by a failed concurrent build.

With several targets (docs/targets.md) every database of every target is verified; a fleet shows one
line per database that fails.

${TARGET_HELP}

${COMMON_HELP}
Exit 1 when any check FAILs (WARNINGs do not fail), so a CI step can gate on it.`;

function printVerify(io: CliIO, report: VerifyReport): void {
  const scope = report.version ? ` ${report.version}` : "";
  io.stdout(table(report.checks.map((check) => [check.status, check.name, check.details])));
  io.stdout(`${report.environment}${scope}: ${report.ok ? "verified" : "verification FAILED"}\n`);
}

function printFleetVerify(io: CliIO, environment: string, result: TargetResult<VerifyReport>): void {
  const failing = result.databases.filter((database) => database.report && !passed(database.report));
  io.stdout(`== ${environment}/${result.target}: fleet of ${result.databases.length} database(s) ==\n`);
  for (const database of failing) {
    const checks = database.report!.checks.filter((check) => check.status === "FAIL").map((check) => `${check.name}: ${check.details}`);
    io.stdout(`FAIL ${database.database}: ${checks.join("; ")}\n`);
  }
  io.stdout(`${result.databases.filter((database) => database.report && passed(database.report)).length} verified, ${failing.length} FAILED\n\n`);
}

const passed = (report: VerifyReport) => report.ok && !report.checks.some((check) => check.status === "FAIL");

export const verifyCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, TARGET_OPTIONS, async ({ values, positionals }) => {
      const version = positionals[0] === undefined ? undefined : parseVersion(positionals[0]);
      const { environment, targets, many, parallel } = targetsFor(values, io);
      if (!many) {
        const report = await verifyMigrations(environment, catalogOf(targets[0]!), version);
        const ok = passed(report);
        if (values.json) printJson(io, { ...report, ok });
        else printVerify(io, report);
        return ok ? EXIT.ok : EXIT.failed;
      }
      const results = await readTargets(targets, parallel, (database, catalog) => verifyMigrations(database, catalog, version));
      const ok = results.every((result) => result.databases.every((database) => database.report && passed(database.report)));
      if (values.json) printJson(io, targetsJson(environment.name, ok, results, (report) => ({ ...report, ok: Boolean(report && passed(report)) })));
      else printTargets(io, environment.name, results, { fleet: (result) => printFleetVerify(io, environment.name, result), database: (report) => printVerify(io, report) });
      return ok ? EXIT.ok : EXIT.failed;
    }),
};
