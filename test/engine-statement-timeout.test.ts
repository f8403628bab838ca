import { describe, expect, it } from "vitest";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("a statement that runs longer than statementTimeout", async () => {
  const url = await createTestDatabase("engine-stmttimeout");
  const dir = migrationsFolder({ "2025_11_01/001_slow_backfill.sql": "CREATE TABLE backfilled (id int);\nSELECT pg_sleep(5);\n" });

  it("is cancelled and the migration fails (not as transient), leaving nothing", async () => {
    const report = await applyMigrations(runContext(testEnvironment(url, { statementTimeout: 200 }), dir));
    expect(report.failed).toMatchObject({ version: "20251101_000001", sqlstate: "57014", transient: false });
    expect(report.failed?.error).toContain("statement timeout");
    expect(await query(url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'backfilled'")).toEqual([]);
    expect((await ledgerRows(url))[0]?.status).toBe("failed");
  });
});
