import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyMigrations, getHistory } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

const DOCUMENT_SQL = readFileSync(new URL("./fixtures/document-ledger.sql", import.meta.url), "utf8");

const SHAPE = `SELECT table_name, column_name, data_type, character_maximum_length, column_default, is_nullable
  FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('schema_migrations', 'schema_version')
  ORDER BY table_name, ordinal_position`;
const CONSTRAINTS = `SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint WHERE conrelid IN ('schema_migrations'::regclass, 'schema_version'::regclass) ORDER BY 1, 2`;

describe("a ledger created by hand from the design document", async () => {
  const url = await createTestDatabase("engine-adopt");
  await query(url, DOCUMENT_SQL);
  // Work done the document's way before Rookery arrived.
  await query(url, "INSERT INTO schema_migrations (version, description, applied_by, checksum) VALUES ('20251001_120000', 'hand-made', 'dba', NULL)");
  await query(url, "INSERT INTO migration_events (migration_type, affected_tenants) VALUES ('tenant_safe', 3)");
  const shapeBefore = await query(url, SHAPE);
  const constraintsBefore = await query(url, CONSTRAINTS);
  const dir = migrationsFolder({ "2025_11_05/001_create_pets.sql": "CREATE TABLE pets (id bigint PRIMARY KEY);\n" });
  const environment = testEnvironment(url);

  it("is adopted as it is: same columns and constraints, earlier rows and the initial version kept", async () => {
    const report = await applyMigrations(runContext(environment, dir));
    expect(report.applied.map((step) => step.version)).toEqual(["20251105_000001"]);
    expect(await query(url, SHAPE)).toEqual(shapeBefore);
    expect(await query(url, CONSTRAINTS)).toEqual(constraintsBefore);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status, row.applied_by])).toEqual([
      ["20251001_120000", "applied", "dba"],
      ["20251105_000001", "applied", "cli:tester"],
    ]);
    expect(await query(url, "SELECT id, current_version FROM schema_version")).toEqual([{ id: 1, current_version: "20251105_000001" }]);
  });

  it("keeps the document's event rows readable in the history", async () => {
    const history = await getHistory(environment);
    expect(history.map((event) => event.event)).toEqual(["applied", "tenant_safe"]);
    expect(history[1]?.detail).toMatchObject({ affectedTenants: 3 });
  });

  it("replaces the document's functions with the fixed ones, same signatures", async () => {
    const failed = await query<{ ok: boolean }>(url, "SELECT apply_migration('20251106_000001', 'broken', 'SELECT 1/0') AS ok");
    expect(failed).toEqual([{ ok: false }]);
    expect((await ledgerRows(url)).find((row) => row.version === "20251106_000001")?.status).toBe("failed");
    const integrity = await query<{ test_name: string }>(url, "SELECT test_name FROM test_migration_integrity('20251105_000001')");
    expect(integrity.map((row) => row.test_name)).toEqual(["migration_recorded", "schema_consistency", "critical_tables", "orphaned_objects"]);
  });
});
