import { stagingCompletedProblems } from "./staging-completed.ts";
import type { Catalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { RookeryError } from "../errors.ts";
import { pendingMigrations } from "../runner/pending.ts";
import { autoRollbackProblems } from "./auto-rollback.ts";
import { activeFreeze, describeFreeze, type Queryable } from "./freeze.ts";
import { recordPolicyOverride } from "./override.ts";
import type { PinnedMigration } from "./staging.ts";
import { windowRefusal } from "./windows.ts";

export interface DeployPolicyInput {
  config: Config;
  environment: Environment;
  /** The migrations folder, for verifying them on staging. */
  catalog: Catalog;
  /** The versions to apply (or the one to roll back) with the checksums pinned for them. */
  migrations: PinnedMigration[];
  kind: "apply" | "rollback" | "complete" | "baseline";
  /** An emergency rollback: skips windows and freezes where the environment has `breakGlass: true`. */
  breakGlass?: boolean;
  now?: Date;
  /**
   * Across targets (docs/targets.md): `environment` checks what holds for the whole environment (freezes,
   * windows, break glass), once; `database` what depends on one database (its pending files against
   * staging, rollback files, rollback proofs on its schema), for each. Undefined: both, for one database.
   */
  part?: "environment" | "database";
  /** With `part: "database"`: the target the database belongs to, so staging first looks at staging's target of that name. */
  target?: string;
  /** A session on the control database the caller already holds (a run's own, where the control database is its database): freezes are read there. */
  controlSession?: Queryable;
}

export interface DeployDecision {
  allowed: boolean;
  /** What is missing, one plain sentence each; empty when allowed. */
  reasons: string[];
  /** When the next deployment window opens, if a closed window is among the reasons. */
  nextOpen?: Date;
}

/** An unreachable control database stops the check with its own error: nobody runs past a freeze unseen. */
async function freezeProblem(config: Config, environment: Environment, session?: Queryable): Promise<string | undefined> {
  const freeze = session ? await activeFreeze(session, environment.name) : await withClient(config.controlDatabaseUrl, (client) => activeFreeze(client, environment.name));
  return freeze ? describeFreeze(freeze) : undefined;
}

/** Break glass is honoured only for rollbacks in environments that allow it; otherwise it is itself a reason. */
function breakGlassProblem(input: DeployPolicyInput): string | undefined {
  if (!input.breakGlass) return undefined;
  if (input.kind !== "rollback") return "break glass is for rollbacks only";
  if (!input.environment.breakGlass) {
    return `break glass is not enabled for ${input.environment.name} (set breakGlass: true in its config)`;
  }
  return undefined;
}

/**
 * Everything an environment demands before a change may run, outside approvals: freezes, deployment
 * windows and, for applies, staging first and proven rollbacks. The CLI, the Slack commands and the worker ask the same
 * question, so nobody skips a rule by choosing another door.
 */
export async function checkDeployPolicy(input: DeployPolicyInput): Promise<DeployDecision> {
  const now = input.now ?? new Date();
  const reasons: string[] = [];
  let nextOpen: Date | undefined;

  const glassProblem = breakGlassProblem(input);
  if (glassProblem) reasons.push(glassProblem);
  const emergency = input.breakGlass === true && glassProblem === undefined;

  if (!emergency && input.part !== "database") {
    const frozen = await freezeProblem(input.config, input.environment, input.controlSession);
    if (frozen) reasons.push(frozen);
    const closed = windowRefusal(input.environment.windows, now);
    if (closed) {
      reasons.push(closed.reason);
      nextOpen = closed.nextOpen;
    }
  }
  if (input.part === "environment") return { allowed: reasons.length === 0, reasons, ...(nextOpen ? { nextOpen } : {}) };
  if (input.kind === "apply") {
    // Staging first (its targets, verifying on staging) and the proof are loaded only where the environment asks for them.
    if (input.environment.requireStaging) reasons.push(...(await (await import("./staging.ts")).stagingProblems({ ...input, now })));
    reasons.push(...autoRollbackProblems(input));
    if (input.environment.requireRollbackProof) reasons.push(...(await (await import("./rollback-proof.ts")).rollbackProofProblems(input)));
  }
  // Expand-contract (src/expand/): the contract goes on only after staging completed the same version.
  if (input.kind === "complete") reasons.push(...(await stagingCompletedProblems(input)));
  return { allowed: reasons.length === 0, reasons, ...(nextOpen ? { nextOpen } : {}) };
}

/** The refusal as one block of text: a header line, then one line per reason. */
export function describeRefusal(environment: string, decision: DeployDecision): string {
  return [`refused by ${environment}'s deployment policy:`, ...decision.reasons.map((reason) => `  - ${reason}`)].join("\n");
}

export class PolicyRefusedError extends RookeryError {
  readonly decision: DeployDecision;

  constructor(environment: string, decision: DeployDecision, hint: string) {
    super(describeRefusal(environment, decision), { hint });
    this.decision = decision;
  }
}

/** The versions a run will touch with their checksums: the named ones from the folder, else every pending one. */
export async function pinnedMigrations(environment: Environment, catalog: Catalog, versions?: string[]): Promise<PinnedMigration[]> {
  if (versions === undefined) {
    const pending = await pendingMigrations(environment, catalog);
    return pending.map((migration) => ({ version: migration.version, checksum: migration.checksum }));
  }
  // A version missing from the folder is the engine's to refuse, with its own message.
  return versions.flatMap((version) => {
    const migration = catalog.byVersion.get(version);
    return migration ? [{ version, checksum: migration.checksum }] : [];
  });
}

/**
 * The policy for someone at the command line: refused with every reason (exit 1), unless they
 * override explicitly with a reason, which is recorded and alerted before the change runs.
 */
export async function enforceDeployPolicy(
  input: DeployPolicyInput & { override?: { actor: string; reason: string } },
): Promise<DeployDecision> {
  return enforceDecision(input, await checkDeployPolicy(input));
}

/** The environment's part and a database's part of one run's policy (checkDeployPolicy `part`), as one decision. */
export function bothParts(environmentPart: DeployDecision, databasePart: DeployDecision): DeployDecision {
  const reasons = [...new Set([...environmentPart.reasons, ...databasePart.reasons])];
  return { allowed: reasons.length === 0, reasons, ...(environmentPart.nextOpen ? { nextOpen: environmentPart.nextOpen } : {}) };
}

/** What enforceDeployPolicy does with a decision already asked (in parts, by the CLI: src/cli/policy-gate.ts). */
export async function enforceDecision(
  input: DeployPolicyInput & { override?: { actor: string; reason: string } },
  decision: DeployDecision,
): Promise<DeployDecision> {
  if (decision.allowed) return decision;
  if (!input.override) {
    throw new PolicyRefusedError(
      input.environment.name,
      decision,
      'Do what is missing, or override deliberately with --override-policy --reason "why" (audited and alerted).',
    );
  }
  await recordPolicyOverride(input.config, input.environment, {
    actor: input.override.actor,
    reason: input.override.reason,
    kind: input.kind,
    versions: input.migrations.map((migration) => migration.version),
    overridden: decision.reasons,
  });
  return decision;
}
