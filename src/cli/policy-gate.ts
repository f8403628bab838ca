import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";
import { bothParts, checkDeployPolicy, enforceDecision, pinnedMigrations } from "../policy/deploy.ts";
import type { Queryable } from "../policy/freeze.ts";
import type { CliIO } from "./command.ts";
import { cliActor, type CommandTarget } from "./format.ts";

/**
 * The deployment policy at the command line: someone with the database's credentials obeys the same
 * freezes, windows and staging-first rule as chat. Approval counts are for chat requests only.
 */
export const POLICY_OPTIONS = {
  "override-policy": { type: "boolean", default: false },
} as const satisfies ParseArgsConfig["options"];

export const POLICY_HELP = `Deployment policy (freezes, deployment windows, staging first for applies) is checked first;
a refusal lists what is missing and exits 1. --override-policy with --reason TEXT proceeds anyway:
the override is recorded (migration_events 'policy_override', the control audit log) and alerted
(a warning in system_notifications).
  --override-policy   proceed despite the policy (needs --reason)`;

/**
 * Refuses (exit 1, every reason listed) unless the policy allows the run or the user overrides it
 * with a reason. Nothing to run means nothing to refuse.
 */
export interface PolicyRun {
  kind: "apply" | "rollback";
  versions: string[] | undefined;
  overridePolicy: boolean;
  reason: string | undefined;
}

export function checkOverride(run: Pick<PolicyRun, "overridePolicy" | "reason">): void {
  if (run.overridePolicy && (run.reason === undefined || run.reason.trim() === "")) {
    throw new UsageError("--override-policy needs --reason TEXT", { hint: 'Say why, e.g. --reason "hotfix for incident 4711".' });
  }
}

export const printOverridden = (io: CliIO, where: string, reasons: string[]) =>
  io.stderr(`policy overridden${where} (recorded and alerted):\n${reasons.map((reason) => `  - ${reason}`).join("\n")}\n`);

/** The policy of a run of these versions, asked now (a run that finds its versions under its lock asks `policyGateAtCli`). */
export async function enforcePolicyAtCli(io: CliIO, target: CommandTarget, run: PolicyRun & { versions: string[] }): Promise<void> {
  await policyGateAtCli(io, target, run)(run.versions);
}

/**
 * The policy of a run on one database, asked in two parts so that neither costs the run a round trip
 * of its own: the environment's part (freezes, windows, on the control database) is asked at once,
 * while the run connects, or, where the control database is the run's own database, on the run's
 * session when it calls the gate (a second connection there cost the run's start 5-10 ms of the one
 * thread both connections need, for two queries); the gate returned asks what depends on the versions
 * (staging first, rollback files and proofs) when the run calls it under its lock with the versions it
 * is about to run, and refuses (every reason of both parts) or records the override before any of
 * them runs. An apply with nothing to run is never refused.
 */
export function policyGateAtCli(io: CliIO, target: CommandTarget, run: Omit<PolicyRun, "versions">): (versions: string[], session?: Queryable) => Promise<void> {
  checkOverride(run);
  const override = run.overridePolicy ? { actor: cliActor(io.env), reason: run.reason! } : undefined;
  const environmentPartOn = (controlSession?: Queryable) => checkDeployPolicy({ ...target, migrations: [], kind: run.kind, part: "environment", controlSession });
  const onRunSession = target.config.controlDatabaseUrl === target.environment.databaseUrl;
  const asked = onRunSession ? undefined : environmentPartOn();
  // Awaited by the gate; a run that stops before calling it (the lock busy) must not leave it unhandled.
  asked?.catch(() => {});
  return async (versions, session) => {
    const environmentPart = asked ?? environmentPartOn(session);
    if (run.kind === "apply" && versions.length === 0) return;
    // A rollback's policy is the environment's alone: the folder's checksums are pinned only for an override's
    // record, so without one the folder (a rollback runs stored scripts) is not read.
    const migrations = run.kind === "rollback" && !override ? [] : await pinnedMigrations(target.environment, target.catalog, versions);
    const input = { ...target, migrations, kind: run.kind, ...(override ? { override } : {}) };
    const decision = bothParts(await environmentPart, await checkDeployPolicy({ ...input, part: "database" }));
    await enforceDecision(input, decision);
    if (!decision.allowed) printOverridden(io, "", decision.reasons);
  };
}
