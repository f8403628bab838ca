import { loadParser } from "../analysis/parse.ts";
import type { Environment } from "../config/index.ts";
import { readLedger } from "../ledger/index.ts";
import { needsOutsideTransaction } from "./execute-outside-transaction.ts";
import { withLedgerClient } from "./session.ts";
import { isPending, runnableStatements } from "./statements.ts";
import type { Catalog, PlanStep } from "./types.ts";

/** What `apply --all` would do, in order: never applied, failed and rolled back files alike. */
export async function planMigrations(environment: Environment, catalog: Catalog): Promise<PlanStep[]> {
  await loadParser();
  const ledger = await withLedgerClient(environment, readLedger);
  return catalog.migrations
    .filter((migration) => isPending(ledger.get(migration.version)))
    .map((migration) => ({
      version: migration.version,
      description: migration.description,
      path: migration.path,
      checksum: migration.checksum,
      hasRollback: Boolean(migration.rollback),
      outsideTransaction: needsOutsideTransaction(runnableStatements(migration.sql, migration.path)),
      reapply: ledger.has(migration.version),
    }));
}
