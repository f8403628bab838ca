import type { Config, Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { ensureLedger, inLedgerSchema } from "../ledger/index.ts";

export interface PolicyOverride {
  /** "cli:alice", "slack:U123": who overrode. */
  actor: string;
  /** Why, verbatim: stored through bound parameters only. */
  reason: string;
  kind: "apply" | "rollback" | "complete" | "baseline" | "break_glass";
  versions: string[];
  /** The rules that were set aside, as the policy stated them. */
  overridden: string[];
}

/**
 * Leaves the trace an override owes: a `policy_override` event per version in the target's history,
 * a warning in its system_notifications (the health alerts read it), and a line in the control
 * audit log. Written before the change runs, so an override that then fails is still on record.
 */
export async function recordPolicyOverride(config: Config, environment: Environment, override: PolicyOverride): Promise<void> {
  const detail = { kind: override.kind, versions: override.versions, overridden: override.overridden };
  await withClient(environment.databaseUrl, async (client) => {
    await ensureLedger(client, environment.ledgerSchema);
    await client.query("BEGIN");
    try {
      for (const version of override.versions.length > 0 ? override.versions : [null]) {
        await client.query(
          inLedgerSchema(`INSERT INTO public.migration_events (version, event, actor, reason, detail, success, migration_type)
           VALUES ($1, 'policy_override', $2, $3, $4, true, $5)`, environment.ledgerSchema),
          [version, override.actor, override.reason, JSON.stringify(detail), override.kind],
        );
      }
      await client.query(
        inLedgerSchema(`INSERT INTO public.system_notifications (category, title, message, severity, metadata)
         VALUES ('policy', $1, $2, 'warning', $3)`, environment.ledgerSchema),
        [
          `Deployment policy overridden on ${environment.name}`,
          `${override.actor} ran ${override.kind} ${override.versions.join(", ") || "(all pending)"} setting aside: ${override.overridden.join("; ") || "no rule that applied at the time"}. Reason: ${override.reason}`,
          JSON.stringify({ ...detail, actor: override.actor, reason: override.reason, environment: environment.name }),
        ],
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
  await auditOverride(config, environment, override, detail);
}

async function auditOverride(
  config: Config,
  environment: Environment,
  override: PolicyOverride,
  detail: Record<string, unknown>,
): Promise<void> {
  // The requests' code (the control database's schema and audit log) is loaded only when an override is recorded.
  const { auditOnce } = await import("../requests/index.ts");
  await auditOnce(config.controlDatabaseUrl, {
    actor: override.actor,
    action: `policy.override.${override.kind}`,
    environment: environment.name,
    detail: { ...detail, reason: override.reason },
  });
}
