import type { Environment } from "../config/index.ts";
import type pg from "pg";
import { adoptionAdvice, findForeignLedgers, inLedgerSchema, readLedger, type LedgerEntry } from "../ledger/index.ts";
import { openExpansions } from "../expand/summary.ts";
import { withLedgerClient } from "../session/session.ts";
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
    rollbackFailed: false,
  };
}

/** Every migration of the folder and of the ledger, in version order, with what `apply --all` would do. */
export function migrationStates(catalog: Catalog, ledger: Map<string, LedgerEntry>): MigrationState[] {
  const versions = [...new Set([...catalog.byVersion.keys(), ...ledger.keys()])].sort();
  return versions.map((version) => stateOf(catalog.byVersion.get(version), ledger.get(version), version));
}

/** Versions still applied because their latest rollback failed, as the ledger's migration_health says. */
async function failedRollbacks(client: pg.ClientBase, schema: string): Promise<Set<string>> {
  const { rows } = await client.query<{ version: string }>(
    inLedgerSchema("SELECT version FROM public.migration_health WHERE health_status = 'ROLLBACK_FAILED'", schema),
  );
  return new Set(rows.map((row) => row.version));
}

/**
 * The catalog may still be being read (`readCatalogInTurns`): the database is read meanwhile. A problem
 * of the folder is reported before one of the database, as when the folder was read first.
 */
export async function getStatus(environment: Environment, catalogOrReading: Catalog | Promise<Catalog>): Promise<StatusReport> {
  const reading = Promise.resolve(catalogOrReading);
  // Handled here, so a folder that fails while the database is read is no unhandled rejection; awaited below.
  reading.catch(() => {});
  const fromDatabase = withLedgerClient(environment, async (client) => ({
    ledger: await readLedger(client, environment.ledgerSchema),
    foreign: await findForeignLedgers(client),
    rollbackFailed: await failedRollbacks(client, environment.ledgerSchema),
    expansions: await openExpansions(client, environment.ledgerSchema),
  }));
  fromDatabase.catch(() => {});
  const catalog = await reading;
  const { ledger, foreign, rollbackFailed, expansions } = await fromDatabase;
  // Expand-contract (src/expand/): a version between its phases says so.
  const migrations = migrationStates(catalog, ledger).map((migration) => {
    const expansion = expansions.get(migration.version);
    return { ...migration, rollbackFailed: rollbackFailed.has(migration.version), ...(expansion ? { expansion } : {}) };
  });
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
      rollbackFailed: migrations.filter((migration) => migration.rollbackFailed).length,
      drift: migrations.filter((migration) => migration.drift).length,
    },
  };
}
