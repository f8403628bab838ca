import { dropInsertTrees, loadParser, SqlSyntaxError, type Statement } from "../analysis/parse.ts";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { readLedger } from "../ledger/index.ts";
import { dependencyWarnings } from "./dependents.ts";
import { needsOutsideTransaction } from "./execute-outside-transaction.ts";
import { withLedgerClient } from "../session/session.ts";
import { isPending, runnableStatements } from "./statements.ts";
import type { Catalog, PlanStep } from "./types.ts";

/**
 * A file that does not parse runs nowhere; the plan still lists it, and the analysis names the error.
 * The plan reads DROPs, ALTERs and what cannot run in a transaction, never an INSERT's tree: dropping
 * those keeps a large data file's parse a fraction of its memory. Each file is parsed once.
 */
function parsedOrNone(migration: Migration): Statement[] {
  try {
    return runnableStatements(migration.sql, migration.path, dropInsertTrees);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return [];
    throw error;
  }
}

/** What `apply --all` would do, in order: never applied, failed and rolled back files alike. */
export async function planMigrations(environment: Environment, catalog: Catalog): Promise<PlanStep[]> {
  await loadParser();
  return withLedgerClient(environment, async (client) => {
    const ledger = await readLedger(client, environment.ledgerSchema);
    const steps: PlanStep[] = [];
    for (const migration of catalog.migrations.filter((candidate) => isPending(ledger.get(candidate.version)))) {
      const statements = parsedOrNone(migration);
      steps.push({
        version: migration.version,
        description: migration.description,
        path: migration.path,
        checksum: migration.checksum,
        hasRollback: Boolean(migration.rollback),
        outsideTransaction: migration.noTransaction || needsOutsideTransaction(statements),
        reapply: ledger.has(migration.version),
        origin: migration.origin,
        expandContract: migration.expandContract,
        databaseWarnings: await dependencyWarnings(client, statements, { expandContract: migration.expandContract }),
      });
    }
    return steps;
  });
}
