import { parseVersion } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { getStatus, rollbackMigration } from "../runner/index.ts";
import type { Catalog, MigrationState, RollbackReport } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { cliActor, formatMs, progressTo, runCommand, shortTime, targetFor } from "./format.ts";

const HELP = `Usage: rookery rollback VERSION --reason TEXT

Runs the rollback script stored in the ledger when VERSION was applied (not today's file), in a
transaction, and marks the version rolled_back. The reason is recorded verbatim in the history.
Before running it shows the safety check: a migration applied less than an hour ago is
RECENT_MIGRATION_CAUTION (something may already depend on it), otherwise SAFE_TO_ROLLBACK.

Options:
  --reason TEXT   why (required): recorded in migration_events and shown by \`rookery history\`

${COMMON_HELP}
Exit 1 when the version is not applied, has no stored rollback script, or the script failed
(nothing of it is left applied).`;

const HOUR_MS = 3_600_000;

type Safety = RollbackReport["safety"];

/** The document's safety check, computed before anything runs. */
function safetyOf(state: MigrationState | undefined, now = Date.now()): Safety | undefined {
  if (state?.state !== "applied" || !state.appliedAt) return undefined;
  return now - new Date(state.appliedAt).getTime() < HOUR_MS ? "RECENT_MIGRATION_CAUTION" : "SAFE_TO_ROLLBACK";
}

async function showSafetyCheck(io: CliIO, environment: Environment, catalog: Catalog, version: string): Promise<void> {
  const status = await getStatus(environment, catalog);
  const state = status.migrations.find((migration) => migration.version === version);
  const safety = safetyOf(state);
  // Not applied: the engine refuses with its own message; nothing to weigh here.
  if (!safety || !state) return;
  const advice =
    safety === "RECENT_MIGRATION_CAUTION"
      ? " (applied less than an hour ago: make sure nothing depends on it yet)"
      : "";
  io.stderr(`safety check: ${version} applied ${shortTime(state.appliedAt)} by ${state.appliedBy ?? "?"}: ${safety}${advice}\n`);
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
  name: "rollback",
  summary: "roll one migration back with its stored script (--reason required)",
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { reason: { type: "string" } }, async ({ values, positionals }) => {
      const version = requiredVersion(positionals);
      const reason = requiredReason(values.reason);
      const { environment, catalog } = targetFor(values, io);
      await showSafetyCheck(io, environment, catalog, version);
      const report = await rollbackMigration(
        { environment, catalog, actor: cliActor(io.env), onProgress: progressTo(io) },
        { version, reason },
      );
      if (values.json) printJson(io, { ok: true, ...report });
      else io.stdout(`${report.version}  rolled_back  ${formatMs(report.durationMs)}  ${report.safety}\n`);
      return EXIT.ok;
    }),
};
