import { describe, expect, it } from "vitest";
import { applyMigrations, getHistory, rollbackMigration, rollbackMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { columnsOf, eventsOf, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

const HOSTILE_REASON = `it's "broken"'; DROP TABLE keep_me; -- $$ \\'; SELECT pg_sleep(10); /*`;

describe("a rollback reason full of quotes and SQL", async () => {
  const url = await createTestDatabase("engine-reason");
  await query(url, "CREATE TABLE keep_me (id int)");
  const dir = migrationsFolder({
    "2025_11_01/001_add_flag.sql": "CREATE TABLE flags (id int);\n",
    "2025_11_01/rollback_001_add_flag.sql": "DROP TABLE flags;\n",
  });
  const environment = testEnvironment(url);

  it("is stored verbatim and never executed", async () => {
    const ctx = runContext(environment, dir, "slack:U0HOSTILE'--");
    await applyMigrations(ctx);
    const report = await rollbackMigration(ctx, { version: "20251101_000001", reason: HOSTILE_REASON });
    expect(report.reason).toBe(HOSTILE_REASON);
    expect(await columnsOf(url, "keep_me")).toEqual(["id"]);
    expect(await columnsOf(url, "flags")).toEqual([]);
    const rolledBack = (await eventsOf(url, "20251101_000001")).find((event) => event.event === "rolled_back");
    expect(rolledBack).toMatchObject({ reason: HOSTILE_REASON, actor: "slack:U0HOSTILE'--" });
    expect((await getHistory(environment, { version: "20251101_000001", limit: 1 }))[0]).toMatchObject({ event: "rolled_back", reason: HOSTILE_REASON });
    const [notification] = await query<{ severity: string; metadata: { reason: string } }>(url, "SELECT severity, metadata FROM system_notifications WHERE title = 'Migration Rollback'");
    expect(notification).toEqual({ severity: "warning", metadata: expect.objectContaining({ reason: HOSTILE_REASON }) });
  });

  it("is required", async () => {
    await applyMigrations(runContext(environment, dir));
    await expect(rollbackMigration(runContext(environment, dir), { version: "20251101_000001", reason: "  " })).rejects.toThrow(/needs a reason/);
    expect(await columnsOf(url, "flags")).toEqual(["id"]);
  });
});

describe("a hostile reason over a run of several versions", async () => {
  const url = await createTestDatabase("engine-reason-many");
  await query(url, "CREATE TABLE keep_me (id int)");
  const files: Record<string, string> = {};
  for (let n = 1; n <= 3; n++) {
    files[`2025_11_01/00${n}_add_t${n}.sql`] = `CREATE TABLE t${n} (id int);\n`;
    files[`2025_11_01/rollback_00${n}_add_t${n}.sql`] = `DROP TABLE t${n};\n`;
  }
  const dir = migrationsFolder(files);
  const environment = testEnvironment(url);

  // The first version binds the reason and the actor; the later ones copy them from its event in their single round trip.
  it("is stored verbatim for every version, with its notification, and never executed", async () => {
    const ctx = runContext(environment, dir, "slack:U0HOSTILE'--");
    await applyMigrations(ctx);
    const report = await rollbackMigrations(ctx, { last: 3, reason: HOSTILE_REASON });
    expect(report.rolledBack.map((step) => step.version)).toEqual(["20251101_000003", "20251101_000002", "20251101_000001"]);
    expect(await columnsOf(url, "keep_me")).toEqual(["id"]);
    for (const version of ["20251101_000003", "20251101_000002", "20251101_000001"]) {
      expect((await eventsOf(url, version)).at(-1)).toMatchObject({ event: "rolled_back", reason: HOSTILE_REASON, actor: "slack:U0HOSTILE'--", detail: expect.objectContaining({ outsideTransaction: false, lockRetries: 0 }) });
    }
    const notifications = await query<{ message: string; metadata: { version: string; reason: string; rolled_back_by: string } }>(url, "SELECT message, metadata FROM system_notifications WHERE title = 'Migration Rollback' ORDER BY id");
    expect(notifications.map((row) => [row.metadata.version, row.metadata.reason, row.metadata.rolled_back_by])).toEqual(
      ["20251101_000003", "20251101_000002", "20251101_000001"].map((version) => [version, HOSTILE_REASON, "slack:U0HOSTILE'--"]),
    );
    expect(notifications[2]!.message).toBe(`Migration 20251101_000001 rolled back: ${HOSTILE_REASON}`);
    const [current] = await query<{ current_version: string | null; applied_by: string }>(url, "SELECT current_version, applied_by FROM schema_version WHERE id = 1");
    expect(current).toEqual({ current_version: null, applied_by: "slack:U0HOSTILE'--" });
  });
});
