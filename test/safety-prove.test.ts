import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema } from "../src/config/index.ts";
import { proveRollback } from "../src/runner/prove.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { adminDatabaseUrl, createTestDatabase, query } from "./support/services.ts";

const ADD_PRIORITY = "ALTER TABLE campaigns ADD COLUMN priority int NOT NULL DEFAULT 0;\nCREATE INDEX campaigns_priority_idx ON campaigns (priority);\n";

/** Whether this proof's own scratch database is still on the server (other proofs may run alongside). */
async function scratchExists(name: string): Promise<boolean> {
  const rows = await query<{ datname: string }>(adminDatabaseUrl(), "SELECT datname FROM pg_database WHERE datname = $1", [name]);
  return rows.length > 0;
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
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "staging" };
    const scratchDatabase = `rookery_prove_test_${randomBytes(5).toString("hex")}`;

    const proof = await proveRollback(environment, readCatalog(dir), "20251101_000001", { scratchDatabase });

    expect(proof.ok).toBe(false);
    expect(proof.differences).toContain("column campaigns.priority remains after rollback");
    expect(proof.differences.some((line) => line.includes("index"))).toBe(false);
    // The target was only read; the scratch copy is gone.
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'campaigns' ORDER BY column_name")).toEqual([
      { column_name: "id" },
      { column_name: "name" },
    ]);
    expect(await scratchExists(scratchDatabase)).toBe(false);

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

  it("refuses a version already applied with exit 1, as rehearse does", async () => {
    const applied = await createTestDatabase("proofapplied");
    const dir = migrationsFolder({ "2025_11_01/001_t.sql": "CREATE TABLE t (id int);\n", "2025_11_01/rollback_001_t.sql": "DROP TABLE IF EXISTS t;\n" });
    expect((await rookery(["apply", "--all"], { DATABASE_URL: applied, MIGRATIONS_DIR: dir })).code).toBe(0);
    const prove = await rookery(["prove", "20251101_000001"], { DATABASE_URL: applied, MIGRATIONS_DIR: dir });
    const rehearse = await rookery(["rehearse", "20251101_000001"], { DATABASE_URL: applied, MIGRATIONS_DIR: dir });
    expect(prove.stderr).toMatch(/20251101_000001 is already applied on development/);
    expect([prove.code, rehearse.code]).toEqual([1, 1]);
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

  it("catches a rollback that rebuilds a view without its grants, and an owner it does not give back", async () => {
    const app = `rookery_prove_app_${randomBytes(4).toString("hex")}`;
    await query(url, `CREATE ROLE ${app} NOLOGIN; CREATE VIEW campaign_names AS SELECT id, name FROM campaigns; GRANT SELECT ON campaign_names TO ${app}`);
    onTestFinished(async () => {
      await query(url, `DROP VIEW IF EXISTS campaign_names; DROP OWNED BY ${app}`).catch(() => {});
      await query(adminDatabaseUrl(), `DROP ROLE IF EXISTS ${app}`);
    });
    const dir = migrationsFolder({
      "2025_11_01/001_shout_names.sql":
        `DROP VIEW campaign_names;\nCREATE VIEW campaign_names AS SELECT id, name, upper(name) AS shout FROM campaigns;\nGRANT SELECT ON campaign_names TO ${app};\n` +
        `ALTER TABLE campaigns OWNER TO ${app};\n`,
      "2025_11_01/rollback_001_shout_names.sql": "DROP VIEW campaign_names;\nCREATE VIEW campaign_names AS SELECT id, name FROM campaigns;\n",
    });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "staging" };

    const proof = await proveRollback(environment, readCatalog(dir), "20251101_000001");

    expect(proof.ok).toBe(false);
    expect(proof.differences).toEqual([
      `owner of campaigns differs after rollback: was "postgres", now "${app}"`,
      `owner of campaigns_id_seq differs after rollback: was "postgres", now "${app}"`,
      "privileges on campaign_names is missing after rollback",
    ]);
  });
});
