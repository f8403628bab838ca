import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { loadConfig, type Config } from "../src/config/index.ts";
import { checkDeployPolicy, pinnedMigrations } from "../src/policy/deploy.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, writeMigration } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { createTestDatabase, query } from "./support/services.ts";

const VERSION = "20251101_000001";
const HOUR = 3_600_000;

let dir: string;
let config: Config;
let stagingUrl: string;

function writeAccounts(sql: string): void {
  writeMigration(dir, "2025_11_01/001_add_accounts.sql", sql);
}

async function productionDecision(now: Date) {
  const catalog = readCatalog(dir);
  const environment = config.environments.production!;
  return checkDeployPolicy({
    config,
    environment,
    catalog,
    migrations: await pinnedMigrations(environment, catalog),
    kind: "apply",
    now,
  });
}

beforeAll(async () => {
  stagingUrl = await createTestDatabase("stg_staging");
  const productionUrl = await createTestDatabase("stg_production");
  dir = migrationsFolder({ "2025_11_01/rollback_001_add_accounts.sql": "DROP TABLE IF EXISTS accounts;\n" });
  writeAccounts("CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n");
  const file = configFile({
    staging: { databaseUrl: stagingUrl },
    production: { databaseUrl: productionUrl, requireStaging: "staging", minSoakHours: 24 },
  });
  config = loadConfig({ env: { ROOKERY_CONFIG: file, CONTROL_DATABASE_URL: productionUrl }, migrationsDir: dir });
});

describe("staging first", () => {
  it("refuses production while staging has not applied the version", async () => {
    const decision = await productionDecision(new Date());
    expect(decision).toEqual({ allowed: false, reasons: [`${VERSION} is not applied on staging`] });
  });

  it("refuses until the soak time has passed on staging, then accepts", async () => {
    const report = await applyMigrations({ environment: config.environments.staging!, catalog: readCatalog(dir), actor: "test" });
    expect(report.applied.map((migration) => migration.version)).toEqual([VERSION]);
    const [row] = await query<{ applied_at: Date }>(stagingUrl, "SELECT applied_at FROM schema_migrations WHERE version = $1", [VERSION]);
    const appliedAt = row!.applied_at.getTime();

    const early = await productionDecision(new Date(appliedAt + 3 * HOUR));
    expect(early.allowed).toBe(false);
    expect(early.reasons).toHaveLength(1);
    expect(early.reasons[0]).toMatch(new RegExp(`^${VERSION} applied on staging 3 h ago, needs 24 h soak \\(ready .* UTC\\)$`));

    const soaked = await productionDecision(new Date(appliedAt + 25 * HOUR));
    expect(soaked).toEqual({ allowed: true, reasons: [] });
  });

  it("refuses when the file changed after staging applied it", async () => {
    writeAccounts("CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text);\n");
    const decision = await productionDecision(new Date(Date.now() + 48 * HOUR));
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toEqual([
      `${VERSION}: checksum on staging differs: the file changed after staging; apply the current file on staging first`,
    ]);
  });

  it("refuses when the rollback file changed after staging applied the version", async () => {
    writeAccounts("CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n");
    expect((await productionDecision(new Date(Date.now() + 48 * HOUR))).allowed).toBe(true);
    writeMigration(dir, "2025_11_01/rollback_001_add_accounts.sql", "DROP TABLE IF EXISTS accounts CASCADE;\n");
    const decision = await productionDecision(new Date(Date.now() + 48 * HOUR));
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toEqual([
      `${VERSION}: the rollback file changed after staging applied the version (staging stored another rollback script); roll back and apply it on staging again, so the rollback that production would run is the one staging has`,
    ]);
    writeMigration(dir, "2025_11_01/rollback_001_add_accounts.sql", "DROP TABLE IF EXISTS accounts;\n");
  });

  it("refuses when verification fails on staging, naming the check", async () => {
    writeAccounts("CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n");
    const staging = config.environments.staging!;
    const strictStaging = { ...staging, criticalTables: ["tenants"] };
    const strictConfig = { ...config, environments: { ...config.environments, staging: strictStaging } };
    const catalog = readCatalog(dir);
    const decision = await checkDeployPolicy({
      config: strictConfig,
      environment: config.environments.production!,
      catalog,
      migrations: [{ version: VERSION, checksum: catalog.byVersion.get(VERSION)!.checksum }],
      kind: "apply",
      now: new Date(Date.now() + 48 * HOUR),
    });
    expect(decision.allowed).toBe(false);
    expect(decision.reasons.join("\n")).toMatch(new RegExp(`^${VERSION}: verification on staging fails: .*tenants`));
  });

  it("refuses production, saying why, when staging cannot be read or is not configured", async () => {
    const catalog = readCatalog(dir);
    const migrations = await pinnedMigrations(config.environments.production!, catalog);
    const unreachable = { ...config.environments.staging!, databaseUrl: "postgres://postgres@127.0.0.1:1/staging" };
    const down = await checkDeployPolicy({
      config: { ...config, environments: { ...config.environments, staging: unreachable } },
      environment: config.environments.production!,
      catalog,
      migrations,
      kind: "apply",
      now: new Date(Date.now() + 48 * HOUR),
    });
    expect(down.allowed).toBe(false);
    expect(down.reasons).toEqual([expect.stringMatching(/^cannot read staging's ledger to check staging first \(its databaseUrl\): cannot connect to the database at postgres:\/\/postgres@127\.0\.0\.1:1\/staging/)]);
    // One line: not the connection's own hint (docker-compose, DATABASE_URL) in the middle of the refusal's list.
    expect(down.reasons[0]).not.toMatch(/\n|docker-compose|DATABASE_URL/);

    const misnamed = await checkDeployPolicy({
      config,
      environment: { ...config.environments.production!, requireStaging: "stagign" },
      catalog,
      migrations,
      kind: "apply",
      now: new Date(Date.now() + 48 * HOUR),
    });
    expect(misnamed).toEqual({ allowed: false, reasons: ['requireStaging names "stagign", which is not a configured environment; fix the config'] });
  });

  it("a rollback on production does not need staging", async () => {
    const catalog = readCatalog(dir);
    const decision = await checkDeployPolicy({
      config,
      environment: config.environments.production!,
      catalog,
      migrations: [{ version: VERSION, checksum: "0".repeat(64) }],
      kind: "rollback",
    });
    expect(decision).toEqual({ allowed: true, reasons: [] });
  });
});
