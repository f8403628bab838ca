import { classifyMigration, loadParser } from "../analysis/index.ts";
import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import { proveRollback } from "../runner/prove.ts";
import type { PinnedMigration } from "./staging.ts";

/**
 * Proven rollbacks: where the environment says `requireRollbackProof: true`, every DDL migration
 * must prove on a scratch copy of the environment's schema that its rollback restores the schema and
 * that it applies again afterwards (src/runner/prove.ts). Data-only migrations are not proven: the
 * copy holds no data. Each version is proven on its own, against the schema as it is now.
 */
export async function rollbackProofProblems(input: {
  environment: Environment;
  catalog: Catalog;
  migrations: PinnedMigration[];
}): Promise<string[]> {
  if (!input.environment.requireRollbackProof) return [];
  await loadParser();
  const problems: string[] = [];
  for (const { version } of input.migrations) {
    const migration = input.catalog.byVersion.get(version);
    if (!migration || classifyMigration(migration) === "Data-only") continue;
    try {
      const proof = await proveRollback(input.environment, input.catalog, version);
      if (!proof.ok) {
        problems.push(`${version}: rollback not proven on a copy of ${input.environment.name}'s schema: ${proof.differences.join("; ")}`);
      }
    } catch (error) {
      problems.push(`${version}: rollback could not be proven: ${describeError(error)}`);
    }
  }
  return problems;
}
