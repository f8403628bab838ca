import type { Environment } from "../config/index.ts";
import { inLedgerSchema, readLedger, type LedgerEntry } from "../ledger/index.ts";
import { withLedgerClient } from "../session/session.ts";
import { hasDrifted } from "./status.ts";
import type { Catalog, IntegrityCheck, VerifyReport } from "./types.ts";

function driftCheck(catalog: Catalog, applied: LedgerEntry[]): IntegrityCheck {
  const drifted = applied.filter((entry) => hasDrifted(catalog.byVersion.get(entry.version), entry));
  if (drifted.length === 0) return { name: "checksum_drift", status: "PASS", details: "Applied files match the checksums recorded when they were applied" };
  const list = drifted.map((entry) => `${entry.version} (${catalog.byVersion.get(entry.version)?.path})`).join(", ");
  return {
    name: "checksum_drift",
    status: "FAIL",
    details: `Edited after being applied: ${list}. Restore the applied text and put the change in a new migration.`,
  };
}

function missingFilesCheck(catalog: Catalog, applied: LedgerEntry[]): IntegrityCheck {
  const missing = applied.filter((entry) => !catalog.byVersion.has(entry.version)).map((entry) => entry.version);
  if (missing.length === 0) return { name: "missing_files", status: "PASS", details: "Every applied migration has its file" };
  return { name: "missing_files", status: "WARNING", details: `Applied but no longer in ${catalog.dir}: ${missing.join(", ")}` };
}

/**
 * The document's integrity tests (run by the ledger's test_migration_integrity, the same function a
 * DBA calls at psql, with the environment's critical tables), plus checksum drift of applied files and
 * applied migrations whose file is gone. `ok` is false on any FAIL.
 */
export async function verifyMigrations(environment: Environment, catalog: Catalog, version?: string): Promise<VerifyReport> {
  const { database, ledger } = await withLedgerClient(environment, async (client) => ({
    database: (
      await client.query<IntegrityCheck & { test_name: string }>(
        inLedgerSchema("SELECT test_name, status, details FROM public.test_migration_integrity($1, $2::text[])", environment.ledgerSchema),
        [version ?? null, environment.criticalTables],
      )
    ).rows,
    ledger: await readLedger(client, environment.ledgerSchema),
  }));
  const applied = [...ledger.values()].filter((entry) => entry.status === "applied" && (!version || entry.version === version));
  const checks: IntegrityCheck[] = [
    ...database.map((row) => ({ name: row.test_name, status: row.status, details: row.details })),
    driftCheck(catalog, applied),
    missingFilesCheck(catalog, applied),
  ];
  return { environment: environment.name, ...(version ? { version } : {}), ok: checks.every((check) => check.status !== "FAIL"), checks };
}
