import { parseVersion } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { previewRollback, rollbackMigration } from "../runner/index.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { cliActor, formatMs, progressTo, runCommand, shortTime, targetFor } from "./format.ts";
import { enforcePolicyAtCli, POLICY_HELP, POLICY_OPTIONS } from "./policy-gate.ts";

const HELP = `Usage: rookery rollback VERSION --reason TEXT

Runs the rollback script stored in the ledger when VERSION was applied (not today's file), in a
transaction, and marks the version rolled_back. The reason is recorded verbatim in the history.
Before running it shows the safety check: a migration applied less than an hour ago is
RECENT_MIGRATION_CAUTION (something may already depend on it), otherwise SAFE_TO_ROLLBACK.

Options:
  --reason TEXT   why (required): recorded in migration_events and shown by \`rookery history\`

${POLICY_HELP} (freezes and windows apply to rollbacks; the --reason above is the override's reason)

${COMMON_HELP}
Exit 1 when the version is not applied, has no stored rollback script, or the script failed
(nothing of it is left applied).`;

/** The document's safety check, shown before anything runs; refuses early when there is nothing to roll back. */
async function showSafetyCheck(io: CliIO, environment: Environment, version: string): Promise<void> {
  const preview = await previewRollback(environment, version);
  const advice =
    preview.safety === "RECENT_MIGRATION_CAUTION" ? " (applied less than an hour ago: make sure nothing depends on it yet)" : "";
  io.stderr(`safety check: ${version} applied ${shortTime(preview.appliedAt)} by ${preview.appliedBy}: ${preview.safety}${advice}\n`);
}

function requiredReason(reason: string | undefined): string {
  if (reason === undefined || reason.trim() === "") {
    throw new UsageError("a rollback needs a reason", { hint: 'Add --reason "why", e.g. --reason "p95 latency doubled".' });
  }
  return reason;
}

function requiredVersion(positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new UsageError(`rollback takes exactly one version, got ${positionals.length}`, {
      hint: 'rookery rollback 20251101_000001 --reason "why"',
    });
  }
  return parseVersion(positionals[0]!);
}

export const rollbackCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { reason: { type: "string" }, ...POLICY_OPTIONS }, async ({ values, positionals }) => {
      const version = requiredVersion(positionals);
      const reason = requiredReason(values.reason);
      const { environment, catalog, config } = targetFor(values, io);
      // Deployment policy (src/policy): freezes and windows refuse rollbacks too, unless --override-policy.
      await enforcePolicyAtCli(io, { config, environment, catalog }, {
        kind: "rollback",
        versions: [version],
        overridePolicy: values["override-policy"],
        reason,
      });
      await showSafetyCheck(io, environment, version);
      const report = await rollbackMigration(
        { environment, catalog, actor: cliActor(io.env), onProgress: progressTo(io) },
        { version, reason },
      );
      if (values.json) printJson(io, { ok: true, ...report });
      else io.stdout(`${report.version}  rolled_back  ${formatMs(report.durationMs)}  ${report.safety}\n`);
      return EXIT.ok;
    }),
};
