import type { Environment } from "../config/index.ts";
import { adoptionAdvice, findForeignLedgers, readLedger, type LedgerEntry } from "../ledger/index.ts";
import { withLedgerClient } from "./session.ts";
import type { Catalog, Migration, MigrationState, StatusReport } from "./types.ts";

/** An applied file whose text no longer matches the checksum recorded when it was applied. */
export function hasDrifted(migration: Migration | undefined, entry: LedgerEntry | undefined): boolean {
  return Boolean(migration && entry?.status === "applied" && entry.checksum && entry.checksum !== migration.checksum);
}

function stateOf(migration: Migration | undefined, entry: LedgerEntry | undefined, version: string): MigrationState {
  return {
    version,
    description: migration?.description ?? entry?.description ?? "",
    ...(migration ? { path: migration.path } : {}),
    state: entry?.status ?? "pending",
    ...(entry ? { appliedAt: entry.appliedAt, appliedBy: entry.appliedBy } : {}),
    drift: hasDrifted(migration, entry),
    missingFile: !migration,
    hasRollback: entry?.status === "applied" ? entry.hasRollback : Boolean(migration?.rollback),
  };
}

/** Every migration of the folder and of the ledger, in version order, with what `apply --all` would do. */
export function migrationStates(catalog: Catalog, ledger: Map<string, LedgerEntry>): MigrationState[] {
  const versions = [...new Set([...catalog.byVersion.keys(), ...ledger.keys()])].sort();
  return versions.map((version) => stateOf(catalog.byVersion.get(version), ledger.get(version), version));
}

export async function getStatus(environment: Environment, catalog: Catalog): Promise<StatusReport> {
  const { ledger, foreign } = await withLedgerClient(environment, async (client) => ({
    ledger: await readLedger(client, environment.ledgerSchema),
    foreign: await findForeignLedgers(client),
  }));
  const migrations = migrationStates(catalog, ledger);
  const applied = migrations.filter((migration) => migration.state === "applied");
  return {
    environment: environment.name,
    foreignLedgers: foreign.map((found) => ({ ...found, advice: adoptionAdvice(found) })),
    currentVersion: applied.at(-1)?.version ?? null,
    migrations,
    counts: {
      applied: applied.length,
      // What `apply --all` would run: never applied, failed, or rolled back, with its file present.
      pending: migrations.filter((migration) => migration.state !== "applied" && !migration.missingFile).length,
      failed: migrations.filter((migration) => migration.state === "failed").length,
      rolledBack: migrations.filter((migration) => migration.state === "rolled_back").length,
      drift: migrations.filter((migration) => migration.drift).length,
    },
  };
}
