import { describe, expect, it } from "vitest";
import { applyMigrations, rollbackMigration, verifyMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

const INDEX_VALIDITY = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('emails_address_key')";

describe("CREATE INDEX CONCURRENTLY", async () => {
  const url = await createTestDatabase("engine-cic");
  const dir = migrationsFolder({
    "2025_11_01/001_create_emails.sql": "CREATE TABLE emails (id bigint PRIMARY KEY, address text);\nINSERT INTO emails VALUES (1, 'a@x'), (2, 'a@x'), (3, 'b@x');\n",
    "2025_11_01/002_unique_address.sql": "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS emails_address_key ON emails (address);\n",
    "2025_11_01/rollback_002_unique_address.sql": "DROP INDEX CONCURRENTLY IF EXISTS emails_address_key;\n",
  });
  const environment = testEnvironment(url);

  it("runs outside a transaction, visibly, and a failed build is reported with the INVALID index it left", async () => {
    const ctx = runContext(environment, dir);
    const report = await applyMigrations(ctx);
    expect(report.applied.map((step) => [step.version, step.outsideTransaction])).toEqual([["20251101_000001", false]]);
    expect(report.failed).toMatchObject({ version: "20251101_000002", sqlstate: "23505" });
    expect(report.failed?.error).toContain("it left INVALID index emails_address_key");
    expect(ctx.progress.some((event) => event.version === "20251101_000002" && /outside a transaction/.test(event.message))).toBe(true);
    expect(await query(url, INDEX_VALIDITY)).toEqual([{ indisvalid: false }]);
    expect((await ledgerRows(url))[1]?.status).toBe("failed");
    const [failure] = await eventsOf(url, "20251101_000002");
    expect(failure?.detail).toMatchObject({ invalidIndexes: ["emails_address_key"], statementsCompleted: 0 });

    const verify = await verifyMigrations(environment, ctx.catalog);
    expect(verify.ok).toBe(false);
    expect(verify.checks.find((check) => check.name === "orphaned_objects")).toMatchObject({ status: "FAIL" });
    expect(verify.checks.find((check) => check.name === "orphaned_objects")?.details).toContain("emails_address_key");
  });

  it("drops the INVALID index before building it again, so IF NOT EXISTS cannot keep the broken one", async () => {
    await query(url, "DELETE FROM emails WHERE id = 2");
    const ctx = runContext(environment, dir);
    const report = await applyMigrations(ctx);
    expect(report.failed).toBeUndefined();
    expect(report.applied.map((step) => [step.version, step.outsideTransaction])).toEqual([["20251101_000002", true]]);
    expect(ctx.progress.some((event) => /emails_address_key is INVALID/.test(event.message))).toBe(true);
    expect(await query(url, INDEX_VALIDITY)).toEqual([{ indisvalid: true }]);
    expect((await verifyMigrations(environment, ctx.catalog)).ok).toBe(true);
  });

  it("rolls back a concurrent build outside a transaction too", async () => {
    const ctx = runContext(environment, dir);
    await rollbackMigration(ctx, { version: "20251101_000002", reason: "index not used" });
    expect(ctx.progress.some((event) => event.step === "rollback" && /outside a transaction/.test(event.message))).toBe(true);
    expect(await query(url, INDEX_VALIDITY)).toEqual([]);
    expect((await ledgerRows(url))[1]?.status).toBe("rolled_back");
  });
});
