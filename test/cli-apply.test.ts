import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const GOOD = {
  "2025_11_01/001_create_accounts.sql": "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n",
  "2025_11_01/rollback_001_create_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
  "2025_11_01/002_create_invoices.sql": "CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n",
};

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('accounts', 'invoices', 'broken') ORDER BY 1",
  );
  return rows.map((row) => row.table_name);
}

describe("rookery apply", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("cliapply");
  });

  it("applies every pending migration with --all, records them and exits 0", async () => {
    const dir = migrationsFolder(GOOD);
    const run = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });

    expect(run.stderr).not.toMatch(/rookery:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/20251101_000001\s+applied/);
    expect(run.stdout).toMatch(/20251101_000002\s+applied/);
    expect(await tables(url)).toEqual(["accounts", "invoices"]);
    const ledger = await query(url, "SELECT version, status, applied_by FROM schema_migrations ORDER BY version");
    expect(ledger).toEqual([
      { version: "20251101_000001", status: "applied", applied_by: "cli:tester" },
      { version: "20251101_000002", status: "applied", applied_by: "cli:tester" },
    ]);

    const again = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date/);
  });

  it("stops at a failing migration: exit 1, the version and the SQL error named, nothing of it left", async () => {
    const dir = migrationsFolder({
      ...GOOD,
      "2025_11_02/003_create_broken.sql": "CREATE TABLE broken (id bigint PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x text;\n",
      "2025_11_02/004_after_broken.sql": "CREATE TABLE after_broken (id bigint PRIMARY KEY);\n",
    });
    const run = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("20251102_000003");
    expect(run.stderr).toMatch(/relation "no_such_table" does not exist/);
    expect(await tables(url)).toEqual(["accounts", "invoices"]);
    const after = await query(url, "SELECT to_regclass('public.after_broken') AS present");
    expect(after[0]!.present).toBeNull();
    const failed = await query(url, "SELECT status FROM schema_migrations WHERE version = '20251102_000003'");
    expect(failed).toEqual([{ status: "failed" }]);
  });

  it("applies only the named versions, in the order given", async () => {
    const dir = migrationsFolder({
      "2025_12_01/001_first.sql": "CREATE TABLE named_first (id int);\n",
      "2025_12_01/002_second.sql": "CREATE TABLE named_second (id int);\n",
    });
    const run = await rookery(["apply", "20251201_000002"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });

    expect(run.code).toBe(0);
    const present = await query(url, "SELECT to_regclass('named_first') AS first, to_regclass('named_second') AS second");
    expect(present[0]).toEqual({ first: null, second: "named_second" });
  });
});
