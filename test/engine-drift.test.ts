import { describe, expect, it } from "vitest";
import { applyMigrations, getStatus, verifyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, writeMigration } from "./support/cli.ts";
import { runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase } from "./support/services.ts";

describe("drift of applied files", async () => {
  const url = await createTestDatabase("engine-drift");
  const dir = migrationsFolder({
    "2025_11_01/001_create_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY);\nCOMMENT ON TABLE notes IS 'notes';\n",
    "2025_11_01/002_create_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
  });
  const environment = testEnvironment(url, { criticalTables: ["notes", "public.tags"] });
  await applyMigrations(runContext(environment, dir));

  it("is not drift when the same text comes back with Windows line endings", async () => {
    writeMigration(dir, "2025_11_01/001_create_notes.sql", "CREATE TABLE notes (id bigint PRIMARY KEY);\r\nCOMMENT ON TABLE notes IS 'notes';\r\n");
    const catalog = runContext(environment, dir).catalog;
    expect((await getStatus(environment, catalog)).counts.drift).toBe(0);
    expect((await verifyMigrations(environment, catalog)).ok).toBe(true);
  });

  it("is drift when an applied file is edited: status flags it, verify fails naming it", async () => {
    writeMigration(dir, "2025_11_01/002_create_tags.sql", "CREATE TABLE tags (id bigint PRIMARY KEY, name text);\n");
    const catalog = runContext(environment, dir).catalog;
    const status = await getStatus(environment, catalog);
    expect(status.migrations.map((migration) => [migration.version, migration.drift])).toEqual([
      ["20251101_000001", false],
      ["20251101_000002", true],
    ]);
    const verify = await verifyMigrations(environment, catalog);
    expect(verify.ok).toBe(false);
    expect(verify.checks.find((check) => check.name === "checksum_drift")).toMatchObject({ status: "FAIL" });
    expect(verify.checks.find((check) => check.name === "checksum_drift")?.details).toContain("2025_11_01/002_create_tags.sql");
  });

  it("checks one version only when asked", async () => {
    const verify = await verifyMigrations(environment, runContext(environment, dir).catalog, "20251101_000001");
    expect(verify.ok).toBe(true);
    expect(verify.checks.find((check) => check.name === "migration_recorded")?.status).toBe("PASS");
  });

  it("fails verify when a configured critical table is missing, naming it", async () => {
    const strict = testEnvironment(url, { criticalTables: ["notes", "tenants"] });
    const verify = await verifyMigrations(strict, runContext(strict, dir).catalog, "20251101_000001");
    expect(verify.checks.find((check) => check.name === "critical_tables")).toMatchObject({ status: "FAIL", details: "Critical tables missing: tenants" });
  });

  it("warns about an applied migration whose file is gone", async () => {
    const empty = migrationsFolder({ "2025_12_01/001_other.sql": "SELECT 1;\n" });
    const verify = await verifyMigrations(environment, runContext(environment, empty).catalog);
    expect(verify.checks.find((check) => check.name === "missing_files")).toMatchObject({ status: "WARNING" });
    const status = await getStatus(environment, runContext(environment, empty).catalog);
    expect(status.migrations.filter((migration) => migration.missingFile).map((migration) => migration.version)).toEqual(["20251101_000001", "20251101_000002"]);
  });
});
