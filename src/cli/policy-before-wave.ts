import { databasePolicy, refusedOn, type DatabasePolicy } from "../policy/database-part.ts";
import { enforceDeployPolicy } from "../policy/deploy.ts";
import { recordPolicyOverride } from "../policy/override.ts";
import { environmentOf, type BeforeWave, type PreparedTarget } from "../targets/index.ts";
import type { CliIO } from "./command.ts";
import { cliActor, type CommandTarget } from "./format.ts";
import { checkOverride, printOverridden, type PolicyRun } from "./policy-gate.ts";

/**
 * The policy of an apply across targets (docs/targets.md), asked before each wave: what holds for the
 * environment (freezes, windows) once, before the first database with something pending (refused: nothing
 * has run, exit 1 as for one database); what depends on a database (its pending files on staging's target,
 * rollback files, rollback proofs on its schema) for every database of the wave, a refusal halting there
 * naming the database. --override-policy records each override on the database it lets through.
 */
export function policyBeforeWave(io: CliIO, config: CommandTarget["config"], prepared: PreparedTarget[], run: PolicyRun): BeforeWave {
  checkOverride(run);
  const override = run.overridePolicy ? { actor: cliActor(io.env), reason: run.reason! } : undefined;
  let environmentChecked = false;
  return async (targetName, databases) => {
    const target = prepared.find((entry) => entry.target.name === targetName)!;
    const refused = new Map<string, string>();
    for (const database of databases) {
      const environment = environmentOf(target, database);
      const where = target.target.kind === "fleet" ? `${targetName}/${database.name}` : targetName;
      let policy: DatabasePolicy;
      try {
        policy = await databasePolicy({ config, environment, catalog: target.catalog, target: targetName, versions: run.versions });
      } catch (error) {
        // Its ledger cannot be read (the database is down, gone, or refuses us), so neither can its part of the
        // policy: it does not run, and the run halts there as for a refusal, with what ran so far reported.
        refused.set(database.name, `could not check ${environment.name}'s deployment policy on ${where}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const { migrations, decision } = policy;
      if (migrations.length === 0) continue;
      if (!environmentChecked) {
        const whole = await enforceDeployPolicy({ config, environment, catalog: target.catalog, migrations, kind: run.kind, part: "environment", ...(override ? { override } : {}) });
        if (!whole.allowed) printOverridden(io, "", whole.reasons);
        environmentChecked = true;
      }
      if (decision.allowed) continue;
      if (override) {
        await recordPolicyOverride(config, environment, { ...override, kind: run.kind, versions: migrations.map((migration) => migration.version), overridden: decision.reasons });
        printOverridden(io, ` on ${where}`, decision.reasons);
        continue;
      }
      refused.set(database.name, refusedOn(environment.name, where, decision));
    }
    return refused;
  };
}
