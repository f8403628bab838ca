import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import type { PinnedMigration } from "./staging.ts";

/**
 * Automatic rollback needs something to roll back with: where the environment has `autoRollback`, a
 * migration without a rollback file is refused before approval, not discovered when a check fails.
 */
export function autoRollbackProblems(input: { environment: Environment; catalog: Catalog; migrations: PinnedMigration[] }): string[] {
  if (!input.environment.autoRollback) return [];
  return input.migrations.flatMap(({ version }) => {
    const migration = input.catalog.byVersion.get(version);
    if (!migration || migration.rollback) return [];
    return [`${migration.path} has no rollback file beside it, and ${input.environment.name} rolls back automatically when a check fails after an apply (autoRollback): add rollback_${migration.path.split("/").pop()}`];
  });
}
