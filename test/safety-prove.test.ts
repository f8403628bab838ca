import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema } from "../src/config/index.ts";
import { proveRollback } from "../src/runner/prove.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { adminDatabaseUrl, createTestDatabase, query } from "./support/services.ts";

const ADD_PRIORITY = "ALTER TABLE campaigns ADD COLUMN priority int NOT NULL DEFAULT 0;\nCREATE INDEX campaigns_priority_idx ON campaigns (priority);\n";

async function scratchDatabases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(adminDatabaseUrl(), "SELECT datname FROM pg_database WHERE datname LIKE 'rookery_prove_%'");
  return rows.map((row) => row.datname);
}

describe("proving a rollback on a scratch copy", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("proof");
    await query(url, "CREATE TABLE campaigns (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)");
    await query(url, "INSERT INTO campaigns (name) VALUES ('spring launch')");
  });

  it("catches a rollback that leaves a column behind and names it", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_add_priority.sql": ADD_PRIORITY,
      "2025_11_01/rollback_001_add_priority.sql": "DROP INDEX campaigns_priority_idx;\n",
    });
    const before = await scratchDatabases();
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "staging" };

    const proof = await proveRollback(environment, readCatalog(dir), "20251101_000001");

    expect(proof.ok).toBe(false);
    expect(proof.differences).toContain("column campaigns.priority remains after rollback");
    expect(proof.differences.some((line) => line.includes("index"))).toBe(false);
    // The target was only read; the scratch copy is gone.
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'campaigns' ORDER BY column_name")).toEqual([
      { column_name: "id" },
      { column_name: "name" },
    ]);
    expect(await scratchDatabases()).toEqual(before);

    const cli = await rookery(["prove", "20251101_000001"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("column campaigns.priority remains after rollback");
  });

  it("passes a rollback that restores the schema exactly, and exits 0", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_add_priority.sql": ADD_PRIORITY,
      "2025_11_01/rollback_001_add_priority.sql": "DROP INDEX campaigns_priority_idx;\nALTER TABLE campaigns DROP COLUMN priority;\n",
    });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "staging" };

    expect(await proveRollback(environment, readCatalog(dir), "20251101_000001")).toEqual({ version: "20251101_000001", ok: true, differences: [] });

    const cli = await rookery(["prove", "20251101_000001"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
  });

  it("names a changed definition: a default the rollback does not put back", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_default_name.sql": "ALTER TABLE campaigns ALTER COLUMN name SET DEFAULT 'untitled';\n",
      "2025_11_01/rollback_001_default_name.sql": "ALTER TABLE campaigns ALTER COLUMN name SET DEFAULT 'unnamed';\n",
    });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "staging" };

    const proof = await proveRollback(environment, readCatalog(dir), "20251101_000001");

    expect(proof.ok).toBe(false);
    expect(proof.differences).toEqual([
      `column campaigns.name differs after rollback: was "text not null", now "text not null default 'unnamed'::text"`,
    ]);
  });
});
