import { describe, expect, it } from "vitest";
import { applyMigrations, getHealth, getStatus } from "../src/runner/index.ts";
import { migrationsFolder, writeMigration } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("a failing migration in the middle of apply --all", async () => {
  const url = await createTestDatabase("engine-failure");
  const dir = migrationsFolder({
    "2025_11_01/001_create_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
    "2025_11_01/002_half_done.sql": "CREATE TABLE half_done (id bigint);\nINSERT INTO half_done VALUES (1);\nALTER TABLE accounts ADD COLUMN owner text;\nUPDATE accounts SET nope = 1;\n",
    "2025_11_01/003_later.sql": "CREATE TABLE later (id bigint);\n",
  });
  const environment = testEnvironment(url);

  it("keeps the earlier migration, leaves nothing of the failing one, records it failed, and stops", async () => {
    const report = await applyMigrations(runContext(environment, dir));
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000001"]);
    expect(report.failed).toMatchObject({ version: "20251101_000002", sqlstate: "42703", transient: false });
    expect(report.failed?.error).toContain("2025_11_01/002_half_done.sql:4:");
    expect(report.failed?.error).toContain('column "nope" of relation "accounts" does not exist');

    const tables = (await query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('accounts', 'half_done', 'later')")).map((row) => row.table_name);
    expect(tables).toEqual(["accounts"]);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "failed"],
    ]);
    const [failure] = await eventsOf(url, "20251101_000002");
    expect(failure?.event).toBe("failed");
    expect(failure?.error_message).toContain('column "nope" of relation "accounts" does not exist');
    expect(failure?.detail).toMatchObject({ sqlstate: "42703", line: 4 });
  });

  it("shows the failure in status, the later one still pending", async () => {
    const status = await getStatus(environment, runContext(environment, dir).catalog);
    expect(status.migrations.map((migration) => migration.state)).toEqual(["applied", "failed", "pending"]);
    expect(status.counts).toMatchObject({ applied: 1, failed: 1, pending: 2 });
    const health = await getHealth(environment);
    expect(health.map((row) => [row.version, row.healthStatus, row.alertLevel])).toEqual(
      expect.arrayContaining([
        ["20251101_000001", "NEWLY_APPLIED", "OK"],
        ["20251101_000002", "FAILED", "CRITICAL"],
      ]),
    );
  });

  it("applies the fixed file again, then the rest", async () => {
    writeMigration(dir, "2025_11_01/002_half_done.sql", "CREATE TABLE half_done (id bigint);\nINSERT INTO half_done VALUES (1);\nALTER TABLE accounts ADD COLUMN owner text;\n");
    const report = await applyMigrations(runContext(environment, dir));
    expect(report.failed).toBeUndefined();
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000002", "20251101_000003"]);
    expect(await query(url, "SELECT id FROM half_done")).toEqual([{ id: "1" }]);
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied", "applied"]);
    expect((await eventsOf(url, "20251101_000002")).map((event) => event.event)).toEqual(["failed", "applied"]);
  });

  it("refuses a file with a syntax error before applying anything of the run", async () => {
    writeMigration(dir, "2025_11_02/001_fine.sql", "CREATE TABLE fine (id bigint);\n");
    writeMigration(dir, "2025_11_02/002_broken.sql", "CREATE TABLE broken (id bigint;\n");
    await expect(applyMigrations(runContext(environment, dir))).rejects.toThrow(/2025_11_02\/002_broken\.sql:1:/);
    expect(await query(url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'fine'")).toEqual([]);
  });

  it("refuses a file that wraps itself in BEGIN/COMMIT, naming the line, before applying anything", async () => {
    writeMigration(dir, "2025_11_02/002_broken.sql", "CREATE TABLE broken (id bigint);\n");
    writeMigration(dir, "2025_11_02/003_own_transaction.sql", "-- copied from a psql script\nBEGIN;\nCREATE TABLE own (id bigint);\nCOMMIT;\n");
    await expect(applyMigrations(runContext(environment, dir))).rejects.toThrow(/2025_11_02\/003_own_transaction\.sql:2: the file controls its own transaction/);
    expect(await query(url, "SELECT 1 FROM information_schema.tables WHERE table_name IN ('fine', 'broken', 'own')")).toEqual([]);
  });
});

describe("progress of a run of plain migrations", async () => {
  const url = await createTestDatabase("engine-progress");
  const files: Record<string, string> = {};
  for (let index = 1; index <= 6; index++) files[`2025_11_05/00${index}_t${index}.sql`] = index === 5 ? "CREATE TABLE t5 (id bigint);\nUPDATE t5 SET nope = 1;\n" : `CREATE TABLE t${index} (id bigint);\n`;
  const dir = migrationsFolder(files);

  it("tells each migration once, in order, up to the one that failed; none after it starts", async () => {
    const ctx = runContext(testEnvironment(url), dir);
    const report = await applyMigrations(ctx);
    expect(report.applied.map((step) => step.version)).toEqual(["20251105_000001", "20251105_000002", "20251105_000003", "20251105_000004"]);
    expect(report.applied.every((step) => step.durationMs >= 0 && !step.outsideTransaction && step.lockRetries === 0)).toBe(true);
    expect(report.failed).toMatchObject({ version: "20251105_000005", sqlstate: "42703" });
    expect(report.failed?.error).toContain("2025_11_05/005_t5.sql:2:");
    const applying = ctx.progress.filter((event) => event.step === "apply").map((event) => event.message.split(":")[0]);
    expect(applying).toEqual([1, 2, 3, 4, 5].map((index) => `applying 20251105_00000${index} (${index}/6)`));
    const tables = (await query<{ name: string }>(url, "SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE 't_' ORDER BY 1")).map((row) => row.name);
    expect(tables).toEqual(["t1", "t2", "t3", "t4"]);
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied", "applied", "applied", "failed"]);
  });
});
