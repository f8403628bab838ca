import type { Environment } from "../config/index.ts";
import { readLedger } from "../ledger/index.ts";
import { withLedgerClient } from "../session/session.ts";
import { isPending } from "./statements.ts";
import type { Catalog, Migration } from "../catalog/index.ts";

/**
 * What `apply --all` would run, from the ledger alone: nothing is parsed. The policy checks before an
 * apply need only the versions and checksums, and parsing a pending 50 MB data file here as well
 * cost gigabytes before the run had started (docs/failure-modes.md, Large files).
 */
export async function pendingMigrations(environment: Environment, catalog: Catalog): Promise<Migration[]> {
  const ledger = await withLedgerClient(environment, (client) => readLedger(client, environment.ledgerSchema));
  return catalog.migrations.filter((migration) => isPending(ledger.get(migration.version)));
}
