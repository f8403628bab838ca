import { parseVersion } from "../catalog/index.ts";
import { verifyMigrations } from "../runner/index.ts";
import type { VerifyReport } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { runCommand, table, targetFor } from "./format.ts";

const HELP = `Usage: rookery verify [VERSION]

Integrity checks: the version is recorded as applied (when given), the environment's critical
tables exist, no table outside the expected schemas is orphaned, applied files still match their
recorded checksums (drift), and no index was left INVALID by a failed concurrent build.

${COMMON_HELP}
Exit 1 when any check FAILs (WARNINGs do not fail), so a CI step can gate on it.`;

function printVerify(io: CliIO, report: VerifyReport): void {
  const scope = report.version ? ` ${report.version}` : "";
  io.stdout(table(report.checks.map((check) => [check.status, check.name, check.details])));
  io.stdout(`${report.environment}${scope}: ${report.ok ? "verified" : "verification FAILED"}\n`);
}

export const verifyCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, {}, async ({ values, positionals }) => {
      const version = positionals[0] === undefined ? undefined : parseVersion(positionals[0]);
      const { environment, catalog } = targetFor(values, io);
      const report = await verifyMigrations(environment, catalog, version);
      const ok = report.ok && !report.checks.some((check) => check.status === "FAIL");
      if (values.json) printJson(io, { ...report, ok });
      else printVerify(io, report);
      return ok ? EXIT.ok : EXIT.failed;
    }),
};
