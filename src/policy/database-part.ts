import type { Catalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { pendingMigrations } from "../runner/pending.ts";
import { checkDeployPolicy, type DeployDecision } from "./deploy.ts";
import type { PinnedMigration } from "./staging.ts";

export interface DatabasePolicy {
  /** What would run on this database: its pending migrations (of `versions`, when named). */
  migrations: PinnedMigration[];
  decision: DeployDecision;
}

/**
 * The part of the deployment policy that depends on one database of a target (docs/targets.md): its own
 * pending files, on staging's target of the same name, with rollback files where autoRollback needs them,
 * and their rollbacks proven on its own schema. Nothing pending: nothing to refuse.
 */
export async function databasePolicy(input: { config: Config; environment: Environment; catalog: Catalog; target: string; versions?: string[]; now?: Date }): Promise<DatabasePolicy> {
  const pending = await pendingMigrations(input.environment, input.catalog);
  const migrations = pending
    .filter((migration) => input.versions === undefined || input.versions.includes(migration.version))
    .map((migration) => ({ version: migration.version, checksum: migration.checksum }));
  if (migrations.length === 0) return { migrations, decision: { allowed: true, reasons: [] } };
  const decision = await checkDeployPolicy({ ...input, migrations, kind: "apply", part: "database" });
  return { migrations, decision };
}

/** Whether the environment asks anything of a database's own files at all: else there is nothing to read per database. */
export function hasDatabasePolicy(environment: Environment): boolean {
  return environment.requireStaging !== undefined || environment.autoRollback !== undefined || environment.requireRollbackProof;
}

/** A database's refusal in one line, naming it: `refused by production's deployment policy on tenants/b: ...`. */
export function refusedOn(environment: string, where: string, decision: DeployDecision): string {
  return `refused by ${environment}'s deployment policy on ${where}: ${decision.reasons.join("; ")}`;
}
