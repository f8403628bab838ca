import { describe, expect, it } from "vitest";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("the connection dies while a migration runs", async () => {
  const url = await createTestDatabase("engine-connlost");
  const dir = migrationsFolder({ "2025_11_01/001_slow.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n" });

  it("reports a transient failure without recording a guess, and the lock is free for the next run", async () => {
    const ctx = runContext(testEnvironment(url), dir);
    ctx.onProgress = (event) => {
      ctx.progress.push(event);
      if (event.step !== "apply") return;
      const terminate = async () => {
        const killed = await query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()");
        if (killed.length === 0) setTimeout(terminate, 50);
      };
      setTimeout(terminate, 50);
    };
    const report = await applyMigrations(ctx);
    expect(report.failed).toMatchObject({ version: "20251101_000001", transient: true });
    expect(report.failed?.error).toContain("connection was lost");
    expect(await ledgerRows(url)).toEqual([]);
    expect(await query(url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'slow'")).toEqual([]);

    const fast = migrationsFolder({ "2025_11_01/001_slow.sql": "CREATE TABLE slow (id int);\n" });
    const again = await applyMigrations(runContext(testEnvironment(url, { advisoryLockWait: 1000 }), fast));
    expect(again.applied.map((step) => step.version)).toEqual(["20251101_000001"]);
  });
});
