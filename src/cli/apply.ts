import { startLoadingParser } from "../analysis/parse.ts";
import { parseVersion } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { applyMigrations } from "../runner/apply.ts";
import type { ApplyReport } from "../runner/types.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { cliActor, formatMs, progressTo, runCommand, table, targetFor } from "./format.ts";
import { policyGateAtCli, POLICY_HELP, POLICY_OPTIONS } from "./policy-gate.ts";
import { checkWatchChoice, WATCH_HELP } from "./watch-choice.ts";
import { TARGET_HELP, TARGET_OPTIONS, targetsFor } from "./targets.ts";

const HELP = `Usage: rookery apply VERSION...     apply these migrations, in this order
       rookery apply --all          apply every pending migration, in version order

Each migration runs in its own transaction with its ledger row (statements that cannot run in a
transaction, like CREATE INDEX CONCURRENTLY, run outside one and say so). --all stops at the first
failure; the failure is recorded in the ledger with its error.

Options:
  --all           every pending migration
  --reason TEXT   why the policy is overridden (with --override-policy)
  --ignore-foreign-ledger
                  apply although Rookery's ledger is empty and another tool's ledger (golang-migrate,
                  Flyway, ...) holds rows; without it such a run is refused, since it would replay a
                  history that is already applied (\`rookery import\` or \`rookery baseline\` first)

With several targets (docs/targets.md), --all applies target after target in targetOrder, a fleet
in waves (canary, then waveSize, at most maxParallel at once); a failure stops what has not started
and exits 1 naming the databases that failed and those not started. Running it again carries on:
databases already applied have nothing pending. Named versions run on the one target whose folder
holds them (a fleet in waves); a version in several folders needs --target NAME.

${TARGET_HELP}

${POLICY_HELP}

${WATCH_HELP}

${COMMON_HELP}
Exit 1 when a migration failed (nothing of it is left applied) or the watch did not end clean (rolled
back, not rolled back because a later request built on it, a check that errored), 2 for a malformed
version or an autoRollback environment without --watch.`;

function versionsToApply(all: boolean, positionals: string[]): string[] | undefined {
  if (all && positionals.length > 0) {
    throw new UsageError("give either --all or versions, not both", { hint: "rookery apply --all, or rookery apply 20251101_000001" });
  }
  if (all) return undefined;
  if (positionals.length === 0) {
    throw new UsageError("nothing to apply: no version given", {
      hint: "Name the versions (rookery apply 20251101_000001) or apply every pending one with --all.",
    });
  }
  return positionals.map(parseVersion);
}

function printReport(io: CliIO, report: ApplyReport): void {
  const rows = report.applied.map((migration) => [
    migration.version,
    "applied",
    formatMs(migration.durationMs),
    [
      migration.description,
      migration.outsideTransaction ? "(outside a transaction)" : "",
      migration.lockRetries > 0 ? `(${migration.lockRetries} lock retries)` : "",
    ]
      .filter(Boolean)
      .join(" "),
  ]);
  rows.push(...report.skipped.map((skip) => [skip.version, "skipped", "", skip.reason]));
  if (report.failed) rows.push([report.failed.version, "FAILED", "", report.failed.error]);
  io.stdout(table(rows));
  if (report.failed) {
    const retry = report.failed.transient ? "It is worth retrying as it is." : "Fix the migration, then apply it again.";
    io.stderr(`rookery: migration ${report.failed.version} failed: ${report.failed.error}\n${retry}\n`);
  } else if (report.applied.length === 0 && report.skipped.length === 0) {
    io.stdout(`nothing to apply: ${report.environment} is up to date\n`);
  }
}

export const applyCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { all: { type: "boolean", default: false }, reason: { type: "string" }, "ignore-foreign-ledger": { type: "boolean", default: false }, watch: { type: "boolean", default: false }, ...POLICY_OPTIONS, ...TARGET_OPTIONS }, async ({ values, positionals }) => {
      const versions = versionsToApply(values.all, positionals);
      // The run parses what it applies: the parser's WebAssembly compiles while the policy is checked.
      startLoadingParser();
      const resolved = targetsFor(values, io);
      // Several targets (docs/targets.md): their waves, policy and watch live in their own file, loaded only here.
      if (resolved.many) return (await import("./apply-targets.ts")).applyAcrossTargets(io, values, resolved, versions);
      const { environment, catalog, config } = targetFor(values, io);
      const watchChoice = await checkWatchChoice(environment, values.watch, io, config);
      // Deployment policy (src/policy): refused like chat unless --override-policy --reason, asked of what the run
      // finds pending under its lock, before any of it runs.
      const policy = policyGateAtCli(io, { config, environment, catalog }, { kind: "apply", overridePolicy: values["override-policy"], reason: values.reason });
      const ctx = { environment, catalog, actor: cliActor(io.env), onProgress: progressTo(io) };
      const report = await applyMigrations(ctx, {
        versions,
        ignoreForeignLedger: values["ignore-foreign-ledger"],
        beforeRunning: (pending, session) => policy(pending.map((migration) => migration.version), session),
      });
      if (!values.json) printReport(io, report);
      // What did get applied is watched even when a later migration failed: it is live. The watch's code is loaded only for a watch.
      const quietIO = values.json ? { ...io, stdout: () => {} } : io;
      const watching = watchChoice === "none" ? undefined : await import("./watch-after-apply.ts");
      const plan = watching?.planOfApply(ctx, catalog, report);
      const watch = watching && watchChoice === "foreground" ? await watching.watchApplied(quietIO, ctx, plan) : undefined;
      const handed = watching && watchChoice === "queue" ? await watching.handWatchToQueue(quietIO, config, environment, ctx.actor, plan) : undefined;
      const ok = !report.failed && (watch === undefined || watching!.watchSucceeded(watch));
      if (values.json) printJson(io, { ok, ...report, failed: report.failed ?? null, ...(watchChoice === "foreground" ? { watch: watch ?? null } : {}), ...(handed ? { watchHandedToQueue: handed } : {}) });
      return ok ? EXIT.ok : EXIT.failed;
    }),
};
