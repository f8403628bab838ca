import { loadParser, SqlSyntaxError } from "../analysis/parse.ts";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { readLedger } from "../ledger/index.ts";
import { dependencyWarnings } from "./dependents.ts";
import { needsOutsideTransaction } from "./execute-outside-transaction.ts";
import { withLedgerClient } from "./session.ts";
import { isPending, runnableStatements } from "./statements.ts";
import type { Catalog, PlanStep } from "./types.ts";

/** A file that does not parse runs nowhere; the plan still lists it, and the analysis names the error. */
function runsOutsideTransaction(migration: Migration): boolean {
  try {
    return needsOutsideTransaction(runnableStatements(migration.sql, migration.path));
  } catch (error) {
    if (error instanceof SqlSyntaxError) return false;
    throw error;
  }
}

function parsedOrNone(migration: Migration) {
  try {
    return runnableStatements(migration.sql, migration.path);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return [];
    throw error;
  }
}

/** What `apply --all` would do, in order: never applied, failed and rolled back files alike. */
export async function planMigrations(environment: Environment, catalog: Catalog): Promise<PlanStep[]> {
  await loadParser();
  const { ledger, warnings } = await withLedgerClient(environment, async (client) => {
    const ledger = await readLedger(client, environment.ledgerSchema);
    const warnings = new Map<string, string[]>();
    for (const migration of catalog.migrations.filter((candidate) => isPending(ledger.get(candidate.version)))) {
      warnings.set(migration.version, await dependencyWarnings(client, parsedOrNone(migration)));
    }
    return { ledger, warnings };
  });
  return catalog.migrations
    .filter((migration) => isPending(ledger.get(migration.version)))
    .map((migration) => ({
      version: migration.version,
      description: migration.description,
      path: migration.path,
      checksum: migration.checksum,
      hasRollback: Boolean(migration.rollback),
      outsideTransaction: runsOutsideTransaction(migration),
      reapply: ledger.has(migration.version),
      origin: migration.origin,
      expandContract: migration.expandContract,
      databaseWarnings: warnings.get(migration.version) ?? [],
    }));
}
