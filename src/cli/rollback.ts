import { parseVersion } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { rollbackMigration } from "../runner/rollback.ts";
import { rollbackMigrations, rollbackTargets, type RollbackManyReport } from "../runner/rollback-many.ts";
import { previewRollback } from "../runner/rollback-safety.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { cliActor, formatMs, lazyTargetFor, progressTo, runCommand, shortTime } from "./format.ts";
import type { Queryable } from "../policy/freeze.ts";
import { enforcePolicyAtCli, policyGateAtCli, POLICY_HELP, POLICY_OPTIONS } from "./policy-gate.ts";

const HELP = `Usage: rookery rollback VERSION --reason TEXT
       rookery rollback --to VERSION --reason TEXT   every applied version after VERSION, newest first
       rookery rollback --last N --reason TEXT       the N newest applied versions, newest first

Runs the rollback script stored in the ledger when VERSION was applied (not today's file), in a
transaction, and marks the version rolled_back. The reason is recorded verbatim in the history.
Before running it shows the safety check: a migration applied less than an hour ago is
RECENT_MIGRATION_CAUTION (something may already depend on it), otherwise SAFE_TO_ROLLBACK.

With --to or --last the versions roll back in one run (one hold of the migration lock), each in its
own transaction with its stored script and the same reason. A version without a stored script
refuses the whole run before anything runs; the first failure stops it: the newer versions stay
rolled back, the failed one and the older ones stay applied.

Options:
  --reason TEXT   why (required): recorded in migration_events and shown by \`rookery history\`
  --to VERSION    roll back every applied version after VERSION (VERSION stays applied)
  --last N        roll back the N newest applied versions

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
    runCommand(args, io, { reason: { type: "string" }, to: { type: "string" }, last: { type: "string" }, ...POLICY_OPTIONS }, async ({ values, positionals }) => {
      if (values.to !== undefined || values.last !== undefined) return rollbackSeveral(io, values, positionals);
      const version = requiredVersion(positionals);
      const reason = requiredReason(values.reason);
      const { environment, catalog, config } = lazyTargetFor(values, io);
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

function lastCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new UsageError(`--last takes a positive whole number, got "${text}"`, { hint: 'rookery rollback --last 3 --reason "why"' });
  }
  return Number(text);
}

type SeveralValues = { to?: string; last?: string; reason?: string; env?: string; dir?: string; config?: string; json: boolean; "override-policy"?: boolean };

/** `--to VERSION` / `--last N`: the versions are listed before anything runs, then rolled back in one run. */
async function rollbackSeveral(io: CliIO, values: SeveralValues, positionals: string[]): Promise<number> {
  if (positionals.length > 0) {
    throw new UsageError("give either a version or --to / --last, not both", { hint: 'rookery rollback --to 20251101_000001 --reason "why"' });
  }
  if (values.to !== undefined && values.last !== undefined) {
    throw new UsageError("give either --to VERSION or --last N, not both", { hint: 'rookery rollback --last 3 --reason "why"' });
  }
  const options = { to: values.to === undefined ? undefined : parseVersion(values.to), last: lastCount(values.last), reason: requiredReason(values.reason) };
  const { environment, catalog, config } = lazyTargetFor(values, io);
  const overridePolicy = values["override-policy"] ?? false;
  const list = (versions: string[]) => {
    io.stderr(versions.length > 0 ? `rolling back ${versions.length} version(s), newest first: ${versions.join(", ")}\n` : "nothing to roll back\n");
  };
  const policy = { kind: "rollback" as const, overridePolicy, reason: options.reason };
  let onTargets: ((versions: string[], session: Queryable) => void | Promise<void>) | undefined = list;
  if (overridePolicy) {
    // An override is recorded with the versions it lets through: they are listed first, on a connection of their own.
    const versions = await rollbackTargets(environment, options);
    await enforcePolicyAtCli(io, { config, environment, catalog }, { ...policy, versions });
    list(versions);
    onTargets = undefined;
  } else {
    // A rollback's policy is the environment's (freezes, windows), whatever the versions: asked while the run
    // connects, and awaited once the run holds the lock and lists its versions, before any of them runs.
    const gate = policyGateAtCli(io, { config, environment, catalog }, policy);
    onTargets = async (versions, session) => {
      await gate(versions, session);
      list(versions);
    };
  }
  const report = await rollbackMigrations({ environment, catalog, actor: cliActor(io.env), onProgress: progressTo(io) }, { ...options, onTargets });
  if (values.json) printJson(io, { ok: !report.failed, ...report, failed: report.failed ?? null });
  else printSeveral(io, report);
  return report.failed ? EXIT.failed : EXIT.ok;
}

function printSeveral(io: CliIO, report: RollbackManyReport): void {
  for (const step of report.rolledBack) io.stdout(`${step.version}  rolled_back  ${formatMs(step.durationMs)}  ${step.safety}\n`);
  if (!report.failed) return;
  io.stdout(`${report.failed.version}  FAILED  ${report.failed.error}\n`);
  for (const version of report.notRun) io.stdout(`${version}  not run (still applied)\n`);
  io.stderr(`rookery: ${report.rolledBack.length} rolled back, then ${report.failed.version} failed: ${report.failed.error}\n`);
}
