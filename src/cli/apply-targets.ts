import { acrossDatabases, planWatchAcross, watchSucceeded } from "../runner/index.ts";
import { appliedOn, applyTargets, prepareTargets, targetOfVersions, watchSites, watchWidth, type TargetsReport } from "../targets/index.ts";
import { EXIT, printJson, type CliIO } from "./command.ts";
import { cliActor, formatMs, progressTo, table } from "./format.ts";
import { policyBeforeWave } from "./policy-before-wave.ts";
import { someNames, type CommandTargets } from "./targets.ts";
import { handWatchToQueue, watchApplied } from "./watch-after-apply.ts";
import { checkWatchChoice } from "./watch-choice.ts";

/** What `rookery apply` was given, as far as an apply across targets needs it. */
export interface ApplyAcrossValues {
  watch: boolean;
  json?: boolean;
  reason?: string;
  "override-policy": boolean;
  "ignore-foreign-ledger": boolean;
}

/**
 * `rookery apply` in an environment of several targets (docs/targets.md): target after target in targetOrder,
 * a fleet in waves, the policy before each wave, then the watch of every database that applied something.
 */
export async function applyAcrossTargets(io: CliIO, values: ApplyAcrossValues, resolved: CommandTargets, versions: string[] | undefined): Promise<number> {
  const { parallel, environment, config } = resolved;
  // Versions run on the one target whose folder holds them (a fleet in waves); --target narrows where to look.
  const targets = versions ? [targetOfVersions(environment.name, resolved.targets, versions, `rookery plan --env ${environment.name}`).target] : resolved.targets;
  const watchChoice = await checkWatchChoice(environment, values.watch, io, config);
  const prepared = await prepareTargets(targets);
  // Deployment policy before each wave, each database's own part for it (src/cli/policy-before-wave.ts).
  const beforeWave = policyBeforeWave(io, config, prepared, { kind: "apply", versions, overridePolicy: values["override-policy"], reason: values.reason });
  const actor = cliActor(io.env);
  const report = await applyTargets({ environment, targets: prepared, actor, parallel, beforeWave, options: { versions, ignoreForeignLedger: values["ignore-foreign-ledger"] }, onProgress: progressTo(io) });
  if (!values.json) printTargetsReport(io, report);
  // Every database that applied something is watched, even when a later one failed: it is live.
  const plan = planWatchAcross(environment, appliedOn(report.targets.flatMap((target) => target.databases), prepared));
  const quietIO = values.json ? { ...io, stdout: () => {} } : io;
  const scope = plan && watchChoice === "foreground" ? acrossDatabases(await watchSites(targets, plan, { actor, onProgress: progressTo(io) }, prepared), parallel ?? watchWidth(targets)) : undefined;
  const watch = scope ? await watchApplied(quietIO, scope, plan) : undefined;
  const handed = watchChoice === "queue" ? await handWatchToQueue(quietIO, config, environment, actor, plan) : undefined;
  const ok = report.ok && (watch === undefined || watchSucceeded(watch));
  if (values.json) printJson(io, { ...report, ok, ...(watchChoice === "foreground" ? { watch: watch ?? null } : {}), ...(handed ? { watchHandedToQueue: handed } : {}) });
  return ok ? EXIT.ok : EXIT.failed;
}

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
