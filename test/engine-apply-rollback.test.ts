import { describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import path from "node:path";
import { pinsOf } from "../src/catalog/index.ts";
import { applyMigrations, ChecksumMismatchError, RollbackChangedError, UnknownVersionError, getStatus, previewRollback, NoRollbackScriptError, NothingToRollbackError, planMigrations, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder, writeMigration } from "./support/cli.ts";
import { columnsOf, eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("apply, roll back, apply again", async () => {
  const url = await createTestDatabase("engine-apply");
  const dir = migrationsFolder({
    "2025_11_01/001_create_notes.sql": "-- description: notes table\nCREATE TABLE notes (id bigint PRIMARY KEY, body text);\n",
    "2025_11_01/rollback_001_create_notes.sql": "DROP TABLE notes;\n",
    "2025_11_01/002_add_author.sql": "ALTER TABLE notes ADD COLUMN author text;\n",
    "2025_11_01/rollback_002_add_author.sql": "ALTER TABLE notes DROP COLUMN author;\n",
    "2025_11_02/001_no_rollback.sql": "CREATE TABLE tags (name text PRIMARY KEY);\n",
  });
  const environment = testEnvironment(url);

  it("applies every pending migration in version order, each recorded with its checksum and actor", async () => {
    const ctx = runContext(environment, dir, "slack:U123ABC");
    const report = await applyMigrations(ctx);
    expect(report.failed).toBeUndefined();
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000001", "20251101_000002", "20251102_000001"]);
    expect(await columnsOf(url, "notes")).toEqual(["id", "body", "author"]);
    const rows = await ledgerRows(url);
    expect(rows.map((row) => [row.version, row.status, row.applied_by])).toEqual([
      ["20251101_000001", "applied", "slack:U123ABC"],
      ["20251101_000002", "applied", "slack:U123ABC"],
      ["20251102_000001", "applied", "slack:U123ABC"],
    ]);
    expect(rows[0]?.checksum).toBe(ctx.catalog.byVersion.get("20251101_000001")?.checksum);
    expect(rows[0]?.rollback_script).toBe("DROP TABLE notes;\n");
    expect((await query(url, "SELECT current_version FROM schema_version"))[0]?.current_version).toBe("20251102_000001");
    expect((await eventsOf(url, "20251101_000002")).map((event) => event.event)).toEqual(["applied"]);
  });

  it("has nothing left to apply afterwards", async () => {
    expect(await planMigrations(environment, runContext(environment, dir).catalog)).toEqual([]);
    const again = await applyMigrations(runContext(environment, dir));
    expect(again.applied).toEqual([]);
  });

  it("reports an explicitly asked, already applied version as skipped, not applied twice", async () => {
    const report = await applyMigrations(runContext(environment, dir), { versions: ["20251101_000002"] });
    expect(report.applied).toEqual([]);
    expect(report.skipped.map((skip) => skip.version)).toEqual(["20251101_000002"]);
    expect(await eventsOf(url, "20251101_000002")).toHaveLength(1);
  });

  it("rolls back with the script stored at apply time, keeping applied_at", async () => {
    const before = (await ledgerRows(url)).find((row) => row.version === "20251101_000002")!;
    // Today's rollback file says something else: the stored script is what runs.
    writeMigration(dir, "2025_11_01/rollback_002_add_author.sql", "DROP TABLE notes;\n");
    const report = await rollbackMigration(runContext(environment, dir), { version: "20251101_000002", reason: "author is personal data" });
    expect(report.safety).toBe("RECENT_MIGRATION_CAUTION");
    expect(await columnsOf(url, "notes")).toEqual(["id", "body"]);
    const after = (await ledgerRows(url)).find((row) => row.version === "20251101_000002")!;
    expect(after.status).toBe("rolled_back");
    expect(after.applied_at.toISOString()).toBe(before.applied_at.toISOString());
    expect((await query(url, "SELECT current_version FROM schema_version"))[0]?.current_version).toBe("20251102_000001");
    const events = await eventsOf(url, "20251101_000002");
    expect(events.map((event) => [event.event, event.reason])).toEqual([["applied", null], ["rolled_back", "author is personal data"]]);
  });

  it("shows the rolled back version as pending again and applies it again", async () => {
    writeMigration(dir, "2025_11_01/rollback_002_add_author.sql", "ALTER TABLE notes DROP COLUMN author;\n");
    const ctx = runContext(environment, dir);
    const plan = await planMigrations(environment, ctx.catalog);
    expect(plan.map((step) => [step.version, step.reapply])).toEqual([["20251101_000002", true]]);
    const status = await getStatus(environment, ctx.catalog);
    expect(status.migrations.find((migration) => migration.version === "20251101_000002")?.state).toBe("rolled_back");
    expect(status.counts).toMatchObject({ applied: 2, pending: 1, rolledBack: 1 });
    const report = await applyMigrations(ctx);
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000002"]);
    expect(await columnsOf(url, "notes")).toEqual(["id", "body", "author"]);
    expect((await ledgerRows(url)).find((row) => row.version === "20251101_000002")?.status).toBe("applied");
    expect((await eventsOf(url, "20251101_000002")).map((event) => event.event)).toEqual(["applied", "rolled_back", "applied"]);
  });

  it("refuses a version that is not in the folder, naming it", async () => {
    await expect(applyMigrations(runContext(environment, dir), { versions: ["20251231_000009"] })).rejects.toThrow(UnknownVersionError);
    await expect(applyMigrations(runContext(environment, dir), { versions: ["20251231_000009"] })).rejects.toThrow(/no migration 20251231_000009 in /);
  });

  it("shows the document's safety check before a rollback: caution within the hour, safe after", async () => {
    expect(await previewRollback(environment, "20251101_000001")).toMatchObject({ safety: "RECENT_MIGRATION_CAUTION", appliedBy: "slack:U123ABC" });
    await query(url, "UPDATE schema_migrations SET applied_at = NOW() - INTERVAL '2 hours' WHERE version = '20251101_000001'");
    expect(await previewRollback(environment, "20251101_000001")).toMatchObject({ safety: "SAFE_TO_ROLLBACK" });
    await expect(previewRollback(environment, "20251102_000001")).rejects.toBeInstanceOf(NoRollbackScriptError);
  });

  it("refuses to roll back what is not applied, or has no stored script", async () => {
    const ctx = runContext(environment, dir);
    await expect(rollbackMigration(ctx, { version: "20251231_000001", reason: "x" })).rejects.toBeInstanceOf(NothingToRollbackError);
    await expect(rollbackMigration(ctx, { version: "20251102_000001", reason: "x" })).rejects.toBeInstanceOf(NoRollbackScriptError);
    expect(await columnsOf(url, "tags")).toEqual(["name"]);
  });

  it("refuses a file whose rollback file changed, appeared or went since approval, running nothing", async () => {
    writeMigration(dir, "2025_11_04/001_add_weight.sql", "ALTER TABLE tags ADD COLUMN weight int;\n");
    writeMigration(dir, "2025_11_04/rollback_001_add_weight.sql", "ALTER TABLE tags DROP COLUMN IF EXISTS weight;\n");
    const approved = pinsOf([runContext(environment, dir).catalog.byVersion.get("20251104_000001")!]);
    writeMigration(dir, "2025_11_04/rollback_001_add_weight.sql", "SELECT 1;\n");
    await expect(applyMigrations(runContext(environment, dir), { versions: ["20251104_000001"], expectedChecksums: approved })).rejects.toThrow(
      /rollback_001_add_weight\.sql \(the rollback of 20251104_000001\) was changed since the request was approved; nothing was applied/,
    );
    rmSync(path.join(dir, "2025_11_04/rollback_001_add_weight.sql"));
    await expect(applyMigrations(runContext(environment, dir), { versions: ["20251104_000001"], expectedChecksums: approved })).rejects.toBeInstanceOf(RollbackChangedError);
    expect(await columnsOf(url, "tags")).not.toContain("weight");
    const withoutRollback = pinsOf([runContext(environment, dir).catalog.byVersion.get("20251104_000001")!]);
    writeMigration(dir, "2025_11_04/rollback_001_add_weight.sql", "ALTER TABLE tags DROP COLUMN IF EXISTS weight;\n");
    await expect(applyMigrations(runContext(environment, dir), { versions: ["20251104_000001"], expectedChecksums: withoutRollback })).rejects.toThrow(/was added since/);
    rmSync(path.join(dir, "2025_11_04"), { recursive: true });
  });

  it("refuses a file whose checksum differs from the one pinned at approval, running nothing", async () => {
    writeMigration(dir, "2025_11_03/001_add_color.sql", "ALTER TABLE tags ADD COLUMN color text;\n");
    const ctx = runContext(environment, dir);
    await expect(applyMigrations(ctx, { versions: ["20251103_000001"], expectedChecksums: { "20251103_000001": "0".repeat(64) } })).rejects.toBeInstanceOf(
      ChecksumMismatchError,
    );
    expect(await columnsOf(url, "tags")).toEqual(["name"]);
    const pinned = { "20251103_000001": ctx.catalog.byVersion.get("20251103_000001")!.checksum };
    const report = await applyMigrations(ctx, { versions: ["20251103_000001"], expectedChecksums: pinned });
    expect(report.applied).toHaveLength(1);
    expect(await columnsOf(url, "tags")).toEqual(["name", "color"]);
  });
});
