import pg from "pg";
import { ALERT_MIGRATION_ISSUES } from "./functions/alert-migration-issues.ts";
import { APPLY_MIGRATION } from "./functions/apply-migration.ts";
import { APPLY_TENANT_SAFE_MIGRATION } from "./functions/apply-tenant-safe-migration.ts";
import { ASSERT_MIGRATION_LOCK } from "./functions/assert-migration-lock.ts";
import { RECORD_APPLIED } from "./functions/record-applied.ts";
import { RECORD_MIGRATION } from "./functions/record-migration.ts";
import { RECORD_ROLLED_BACK } from "./functions/record-rolled-back.ts";
import { ROLLBACK_MIGRATION } from "./functions/rollback-migration.ts";
import { LEDGER_DDL_KEY } from "./lock-keys.ts";
import { MARK_PROGRESS } from "./functions/mark-progress.ts";
import { ROOKERY_EXPANSIONS } from "./expansions.ts";
import { TEST_MIGRATION_INTEGRITY } from "./functions/test-migration-integrity.ts";
import { DEFAULT_LEDGER_SCHEMA, inLedgerSchema } from "./place.ts";
import { findForeignLedgers, ForeignLedgerTableError, LEDGER_TABLE_NAMES, StrangerLedgerTableError, strangerLedgerTable } from "./foreign.ts";
import { MIGRATION_EVENTS, MIGRATION_HEALTH, SCHEMA_MIGRATIONS, SCHEMA_VERSION, SYSTEM_NOTIFICATIONS } from "./tables.ts";

/** Bump when any ledger object changes: databases on an older revision get the DDL again. */
export const LEDGER_REVISION = 9;

const LEDGER_DDL = [
  SCHEMA_MIGRATIONS,
  SCHEMA_VERSION,
  MIGRATION_EVENTS,
  SYSTEM_NOTIFICATIONS,
  MIGRATION_HEALTH,
  ROOKERY_EXPANSIONS,
  RECORD_MIGRATION,
  APPLY_MIGRATION,
  ROLLBACK_MIGRATION,
  TEST_MIGRATION_INTEGRITY,
  ALERT_MIGRATION_ISSUES,
  APPLY_TENANT_SAFE_MIGRATION,
  ASSERT_MIGRATION_LOCK,
  RECORD_APPLIED,
  RECORD_ROLLED_BACK,
  MARK_PROGRESS,
  `CREATE OR REPLACE FUNCTION public.rookery_ledger_revision() RETURNS INTEGER LANGUAGE sql IMMUTABLE AS 'SELECT ${LEDGER_REVISION}';`,
].join("\n");

async function ledgerIsCurrent(client: pg.ClientBase, schema: string): Promise<boolean> {
  const { rows } = await client.query<{ revision: string | null }>(
    "SELECT prosrc AS revision FROM pg_catalog.pg_proc WHERE oid = to_regprocedure($1)",
    [`${pg.escapeIdentifier(schema)}.rookery_ledger_revision()`],
  );
  return rows[0]?.revision === `SELECT ${LEDGER_REVISION}`;
}

/**
 * Creates or completes the ledger in the connected database. Idempotent and cheap once done (one
 * catalog lookup). A transaction-level advisory lock keeps two runners creating it at once from
 * colliding on the DDL. Call it outside a transaction. A role that may not create or replace the
 * ledger's objects still reads an existing ledger.
 */
export async function ensureLedger(client: pg.ClientBase, schema: string): Promise<void> {
  if (await ledgerIsCurrent(client, schema)) return;
  // Another tool's schema_migrations (or Flyway's schema_version) where the document's belongs: say whose it is, change nothing.
  const occupant = (await findForeignLedgers(client)).find((ledger) => LEDGER_TABLE_NAMES.some((name) => ledger.table === `${schema}.${name}`));
  if (occupant) throw new ForeignLedgerTableError(occupant, schema);
  const stranger = await strangerLedgerTable(client, schema);
  if (stranger) throw new StrangerLedgerTableError(stranger);
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [LEDGER_DDL_KEY.toString()]);
    if (!(await ledgerIsCurrent(client, schema))) {
      if (schema !== DEFAULT_LEDGER_SCHEMA) await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
      // Our functions' bodies are not checked as they are created (pg_dump restores the same way): validating
      // them was a tenth of creating a ledger, paid by every database of a fleet; a test validates every body.
      await client.query(`SET LOCAL check_function_bodies = off;\n${inLedgerSchema(LEDGER_DDL, schema)}`);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    // A read-only role (a dashboard, the health poll) reads an existing ledger it may not upgrade.
    if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE && (await ledgerExists(client, schema))) return;
    throw error;
  }
}

const INSUFFICIENT_PRIVILEGE = "42501";

async function ledgerExists(client: pg.ClientBase, schema: string): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [
    `${pg.escapeIdentifier(schema)}.schema_migrations`,
  ]);
  return rows[0]?.exists === true;
}
