import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog, type Catalog } from "../src/catalog/index.ts";
import { loadConfig, type Config } from "../src/config/index.ts";
import { checkDeployPolicy } from "../src/policy/deploy.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { createTestDatabase, query } from "./support/services.ts";

let config: Config;
let catalog: Catalog;
let productionUrl: string;
let cliEnv: Record<string, string>;

function decide(version: string) {
  return checkDeployPolicy({
    config,
    environment: config.environments.production!,
    catalog,
    migrations: [{ version, checksum: catalog.byVersion.get(version)!.checksum }],
    kind: "apply",
  });
}

beforeAll(async () => {
  productionUrl = await createTestDatabase("proof_production");
  const dir = migrationsFolder({
    "2025_11_01/001_create_campaigns.sql": "CREATE TABLE campaigns (id bigint PRIMARY KEY, name text);\n",
    "2025_11_01/rollback_001_create_campaigns.sql": "DROP TABLE IF EXISTS campaigns;\n",
    "2025_11_01/002_add_priority.sql": "ALTER TABLE campaigns ADD COLUMN priority integer;\n",
    "2025_11_01/rollback_002_add_priority.sql": "SELECT 1;\n",
    "2025_11_01/003_add_budget.sql": "ALTER TABLE campaigns ADD COLUMN budget numeric;\n",
    "2025_11_01/rollback_003_add_budget.sql": "ALTER TABLE campaigns DROP COLUMN IF EXISTS budget;\n",
    "2025_11_01/004_rename_campaigns.sql": "UPDATE campaigns SET name = upper(name) WHERE id > 0;\n",
  });
  const file = configFile({ production: { databaseUrl: productionUrl, requireRollbackProof: true } });
  cliEnv = { ROOKERY_CONFIG: file, CONTROL_DATABASE_URL: productionUrl, MIGRATIONS_DIR: dir };
  config = loadConfig({ env: { ROOKERY_CONFIG: file, CONTROL_DATABASE_URL: productionUrl }, migrationsDir: dir });
  catalog = readCatalog(dir);
  await applyMigrations({ environment: config.environments.production!, catalog, actor: "test" }, { versions: ["20251101_000001"] });
});

describe("requireRollbackProof", () => {
  it("refuses a DDL migration whose rollback leaves the schema changed, naming the difference", async () => {
    const decision = await decide("20251101_000002");
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toHaveLength(1);
    expect(decision.reasons[0]).toMatch(
      /^20251101_000002: rollback not proven on a copy of production's schema: column campaigns\.priority remains after rollback; 20251101_000002 cannot be applied again after its rollback: .*already exists$/,
    );
  });

  it("accepts a DDL migration whose rollback restores the schema, and leaves the target untouched", async () => {
    expect(await decide("20251101_000003")).toEqual({ allowed: true, reasons: [] });
    expect(await query(productionUrl, "SELECT column_name FROM information_schema.columns WHERE table_name = 'campaigns' ORDER BY ordinal_position")).toEqual([
      { column_name: "id" },
      { column_name: "name" },
    ]);
    expect(await query(productionUrl, "SELECT version FROM schema_migrations ORDER BY version")).toEqual([{ version: "20251101_000001" }]);
  });

  it("does not try to prove a data-only migration (the copy has no data)", async () => {
    expect(await decide("20251101_000004")).toEqual({ allowed: true, reasons: [] });
  });

  it("`rookery apply` proves the pending files while it holds the lock: a rollback that is not proven refuses the run, nothing applied", async () => {
    const refused = await rookery(["apply", "--all", "--env", "production"], cliEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refused by production's deployment policy:");
    expect(refused.stderr).toContain("  - 20251101_000002: rollback not proven on a copy of production's schema: column campaigns.priority remains after rollback");
    expect(await query(productionUrl, "SELECT version FROM schema_migrations ORDER BY version")).toEqual([{ version: "20251101_000001" }]);
    expect(await query(productionUrl, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).toEqual([{ n: 0 }]);

    const proven = await rookery(["apply", "20251101_000003", "--env", "production"], cliEnv);
    expect(proven.code).toBe(0);
    expect(await query(productionUrl, "SELECT version FROM schema_migrations ORDER BY version")).toEqual([{ version: "20251101_000001" }, { version: "20251101_000003" }]);
  });
});
