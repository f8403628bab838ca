import { describe, expect, it } from "vitest";
import { applyMigrations, getStatus, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { columnsOf, eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase } from "./support/services.ts";

describe("empty and comment-only migrations", async () => {
  const url = await createTestDatabase("engine-empty");
  const dir = migrationsFolder({
    "2025_11_01/001_create_items.sql": "CREATE TABLE items (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_create_items.sql": "DROP TABLE items;\n",
    "2025_11_01/002_mysql_only.sql": "-- MySQL needs an engine change here; nothing to do on Postgres\n",
    "2025_11_01/rollback_002_mysql_only.sql": "",
    "2025_11_01/003_blank.sql": "\n\n",
    "2025_11_01/004_add_name.sql": "ALTER TABLE items ADD COLUMN name text;\n",
  });
  const environment = testEnvironment(url);

  it("are applied and recorded in order like any other, changing nothing", async () => {
    const report = await applyMigrations(runContext(environment, dir));
    expect(report.failed).toBeUndefined();
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000001", "20251101_000002", "20251101_000003", "20251101_000004"]);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status, row.rollback_script])).toEqual([
      ["20251101_000001", "applied", "DROP TABLE items;\n"],
      ["20251101_000002", "applied", ""],
      ["20251101_000003", "applied", null],
      ["20251101_000004", "applied", null],
    ]);
    expect(await columnsOf(url, "items")).toEqual(["id", "name"]);
  });

  it("an empty rollback file rolls back as nothing to undo; no rollback file still has nothing stored", async () => {
    await rollbackMigration(runContext(environment, dir), { version: "20251101_000002", reason: "exercise the empty rollback" });
    expect((await eventsOf(url, "20251101_000002")).map((event) => event.event)).toEqual(["applied", "rolled_back"]);
    const status = await getStatus(environment, runContext(environment, dir).catalog);
    const states = new Map(status.migrations.map((migration) => [migration.version, migration]));
    expect(states.get("20251101_000002")).toMatchObject({ state: "rolled_back", hasRollback: true });
    expect(states.get("20251101_000003")).toMatchObject({ state: "applied", hasRollback: false });
    await expect(rollbackMigration(runContext(environment, dir), { version: "20251101_000003", reason: "no file" })).rejects.toThrow(/no rollback script stored/);
  });
});
