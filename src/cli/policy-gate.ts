import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.ts";
import { enforceDeployPolicy, pinnedMigrations } from "../policy/deploy.ts";
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
export async function enforcePolicyAtCli(
  io: CliIO,
  target: CommandTarget,
  run: { kind: "apply" | "rollback"; versions: string[] | undefined; overridePolicy: boolean; reason: string | undefined },
): Promise<void> {
  if (run.overridePolicy && (run.reason === undefined || run.reason.trim() === "")) {
    throw new UsageError("--override-policy needs --reason TEXT", { hint: 'Say why, e.g. --reason "hotfix for incident 4711".' });
  }
  const migrations = await pinnedMigrations(target.environment, target.catalog, run.versions);
  if (run.kind === "apply" && migrations.length === 0) return;
  const override = run.overridePolicy ? { actor: cliActor(io.env), reason: run.reason! } : undefined;
  const decision = await enforceDeployPolicy({ ...target, migrations, kind: run.kind, ...(override ? { override } : {}) });
  if (!decision.allowed) {
    io.stderr(`policy overridden (recorded and alerted):\n${decision.reasons.map((reason) => `  - ${reason}`).join("\n")}\n`);
  }
}
