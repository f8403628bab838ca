import type { Catalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { RookeryError } from "../errors.ts";
import { checkDeployPolicy, PolicyRefusedError } from "./deploy.ts";
import { recordPolicyOverride } from "./override.ts";

export interface BreakGlassInput {
  config: Config;
  environment: Environment;
  catalog: Catalog;
  version: string;
  reason: string;
  /** "slack:U123": who breaks the glass. */
  actor: string;
  /** Decided by the caller's approver policy (Slack user groups are the Slack layer's business). */
  isApprover: boolean;
  now?: Date;
}

/**
 * An emergency rollback: one approver, at once, through freezes and closed windows, for when waiting
 * for a second approver costs more than the risk. Allowed only where the environment says
 * `breakGlass: true`, only to an approver, only with a reason. Records what it set aside (audit,
 * `policy_override` event, warning notification) before returning; the caller then runs the
 * rollback without waiting for approvals. Throws a RookeryError saying why when it is not allowed.
 */
export async function authoriseBreakGlass(input: BreakGlassInput): Promise<{ bypassed: string[] }> {
  const { environment } = input;
  if (!environment.breakGlass) {
    throw new RookeryError(`break glass is not enabled for ${environment.name}`, {
      hint: `Request a normal rollback (it needs ${environment.approvals} approval(s)), or set breakGlass: true for ${environment.name} in the config.`,
    });
  }
  if (!input.isApprover) {
    throw new RookeryError(`only ${environment.name}'s approvers may break glass`, { hint: "Request a normal rollback instead." });
  }
  if (input.reason.trim() === "") {
    throw new RookeryError("an emergency rollback needs a reason", { hint: "Say what is broken: it goes to the audit log and the alert." });
  }
  const checksum = input.catalog.byVersion.get(input.version)?.checksum ?? "";
  const base = { config: input.config, environment, catalog: input.catalog, migrations: [{ version: input.version, checksum }], kind: "rollback" as const, now: input.now };
  const emergency = await checkDeployPolicy({ ...base, breakGlass: true });
  if (!emergency.allowed) {
    throw new PolicyRefusedError(environment.name, emergency, "Request a normal rollback instead.");
  }
  const normal = await checkDeployPolicy(base);
  const bypassed = [
    ...(environment.approvals > 0 ? [`${environment.approvals} approval(s)`] : []),
    ...normal.reasons,
  ];
  await recordPolicyOverride(input.config, environment, {
    actor: input.actor,
    reason: input.reason,
    kind: "break_glass",
    versions: [input.version],
    overridden: bypassed,
  });
  return { bypassed };
}
