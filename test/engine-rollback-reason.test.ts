import { describe, expect, it } from "vitest";
import { applyMigrations, getHistory, rollbackMigration } from "../src/runner/index.ts";
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
