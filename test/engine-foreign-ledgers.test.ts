import { describe, expect, it } from "vitest";
import { applyMigrations, getStatus } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { runContext, testEnvironment } from "./support/engine.ts";
import { FOREIGN_LEDGERS, type ForeignToolName } from "./support/foreign-ledgers.ts";
import { createTestDatabase, query } from "./support/services.ts";

const dir = migrationsFolder({
  "2025_11_01/001_create_items.sql": "CREATE TABLE items (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_create_items.sql": "DROP TABLE items;\n",
});

const TABLES: Record<ForeignToolName, string> = {
  "golang-migrate": "public.schema_migrations",
  Rails: "public.schema_migrations",
  dbmate: "public.schema_migrations",
  goose: "public.goose_db_version",
  Flyway: "public.flyway_schema_history",
  Liquibase: "public.databasechangelog",
  "node-pg-migrate": "public.pgmigrations",
  sqitch: "sqitch.changes",
  Prisma: "public._prisma_migrations",
};

describe("another tool's ledger in the database", () => {
  it.each(Object.keys(FOREIGN_LEDGERS) as ForeignToolName[])("%s's table is named, and apply refuses to replay its history", async (tool) => {
    const url = await createTestDatabase(`foreign-${tool}`);
    await FOREIGN_LEDGERS[tool](url, ["20240101120000", "20240102120000"]);
    const takesPublicName = TABLES[tool] === "public.schema_migrations";
    const environment = testEnvironment(url, takesPublicName ? { ledgerSchema: "rookery" } : {});
    const status = await getStatus(environment, runContext(environment, dir).catalog);
    expect(status.foreignLedgers.map((found) => [found.tool, found.table])).toEqual([[tool, TABLES[tool]]]);
    expect(status.foreignLedgers[0]!.rows).toBeGreaterThanOrEqual(1);
    await expect(applyMigrations(runContext(environment, dir))).rejects.toThrow(new RegExp(`recorded by another tool: ${tool}'s ${TABLES[tool]}`));
    expect(await query(url, "SELECT to_regclass('public.items') AS items")).toEqual([{ items: null }]);
    const report = await applyMigrations(runContext(environment, dir), { ignoreForeignLedger: true });
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000001"]);
  });

  it("golang-migrate's schema_migrations where Rookery's belongs: exit 1 naming the tool and ledgerSchema, nothing changed", async () => {
    const url = await createTestDatabase("foreign-cli");
    await FOREIGN_LEDGERS["golang-migrate"](url, ["42"]);
    for (const command of [["status"], ["apply", "--all"]]) {
      const run = await rookery(command, { DATABASE_URL: url, MIGRATIONS_DIR: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("public.schema_migrations is golang-migrate's migration table (1 row(s)), not Rookery's ledger; nothing was changed");
      expect(run.stderr).toContain("ledgerSchema: rookery");
      expect(run.stderr).toContain("rookery import --from golang-migrate");
    }
    expect(await query(url, "SELECT version, dirty FROM schema_migrations")).toEqual([{ version: "42", dirty: false }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'rookery%'")).toEqual([{ n: 0 }]);
  });

  it("a schema_migrations no known tool made (Ecto's) where Rookery's belongs: exit 1 naming its columns and ledgerSchema, nothing changed", async () => {
    const url = await createTestDatabase("foreign-unknown");
    await query(url, `CREATE TABLE "schema_migrations" ("version" bigint, "inserted_at" timestamp(0), PRIMARY KEY ("version"));
      INSERT INTO schema_migrations VALUES (20240101120000, now())`);
    const run = await rookery(["status", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error).toMatchObject({
      message: "public.schema_migrations (version bigint, inserted_at timestamp(0) without time zone) is not Rookery's ledger, nor a migration table of a tool Rookery knows; nothing was changed",
      hint: expect.stringContaining("ledgerSchema: rookery"),
    });
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'rookery%'")).toEqual([{ n: 0 }]);
    const beside = await rookery(["apply", "--all"], { ROOKERY_CONFIG: configFile({ production: { databaseUrl: url, ledgerSchema: "rookery" } }), MIGRATIONS_DIR: dir });
    expect(beside.code, beside.stderr).toBe(0);
  });

  it("Flyway's table under its name before Flyway 5, schema_version, where Rookery's belongs: exit 1 naming Flyway; beside it, listed and imported", async () => {
    const url = await createTestDatabase("foreign-flyway-schema-version");
    await FOREIGN_LEDGERS.Flyway(url, ["1"]);
    await query(url, "ALTER TABLE flyway_schema_history RENAME TO schema_version; CREATE TABLE items (id bigint PRIMARY KEY)");
    const flywayDir = migrationsFolder({ "V1__create_items.sql": "CREATE TABLE items (id bigint PRIMARY KEY);\n", "V2__add_name.sql": "ALTER TABLE items ADD COLUMN name text;\n" });
    const refused = await rookery(["status"], { DATABASE_URL: url, MIGRATIONS_DIR: flywayDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("public.schema_version is Flyway's migration table (1 row(s)), not Rookery's ledger; nothing was changed");
    expect(refused.stderr).toContain("ledgerSchema: rookery");
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'rookery%'")).toEqual([{ n: 0 }]);
    const env = { ROOKERY_CONFIG: configFile({ production: { databaseUrl: url, ledgerSchema: "rookery" } }), MIGRATIONS_DIR: flywayDir };
    const status = await rookery(["status", "--json"], env);
    expect(JSON.parse(status.stdout).foreignLedgers).toMatchObject([{ tool: "Flyway", table: "public.schema_version", rows: 1 }]);
    const imported = await rookery(["import", "--from", "flyway", "--json"], env);
    expect(JSON.parse(imported.stdout)).toMatchObject({ ok: true, table: "public.schema_version", imported: ["00000001_000000"] });
    const applied = await rookery(["apply", "--all"], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^00000002_000000\s+applied/);
  });

  it("with ledgerSchema, Rookery's ledger lives in its own schema beside Rails' table, which keeps its rows", async () => {
    const url = await createTestDatabase("foreign-beside");
    await FOREIGN_LEDGERS.Rails(url, ["20240101120000"]);
    const config = configFile({ production: { databaseUrl: url, ledgerSchema: "rookery" } });
    const applied = await rookery(["apply", "--all", "--ignore-foreign-ledger"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await query(url, "SELECT version, status FROM rookery.schema_migrations")).toEqual([{ version: "20251101_000001", status: "applied" }]);
    expect(await query(url, "SELECT version FROM public.schema_migrations")).toEqual([{ version: "20240101120000" }]);
    const objects = await query<{ name: string }>(url, "SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname LIKE '%migration%'");
    expect(objects).toEqual([]);
    const status = await rookery(["status"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("applied 1, pending 0");
    expect(status.stdout).toContain("Rails: public.schema_migrations, 1 row(s)");
    const history = await rookery(["history"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(history.stdout).toContain("20251101_000001");
    const health = await rookery(["health"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(health.code, health.stderr).toBe(0);
    const verify = await rookery(["verify"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(await query(url, "SELECT rookery.rollback_migration('20251101_000001', 'at psql') AS ok")).toEqual([{ ok: true }]);
    expect(await query(url, "SELECT to_regclass('public.items') AS items")).toEqual([{ items: null }]);
  });
});
