import { describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { getStatus } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { testEnvironment } from "./support/engine.ts";
import { configFile } from "./support/config-file.ts";
import { FOREIGN_LEDGERS } from "./support/foreign-ledgers.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("rookery baseline on a database that already has the schema", async () => {
  const url = await createTestDatabase("baseline");
  const dir = migrationsFolder({
    "2025_11_01/001_create_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_create_users.sql": "DROP TABLE users;\n",
    "2025_11_01/002_add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
    "2025_11_01/003_add_name.sql": "ALTER TABLE users ADD COLUMN name text;\n",
    "2025_11_02/001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n",
  });
  // Built by hand before Rookery: running 001..003 again would fail (the table exists).
  await query(url, "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text)");
  const env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };

  it("records every version up to VERSION as applied without running it, then apply --all runs only what is newer", async () => {
    const baseline = await rookery(["baseline", "20251101_000003", "--reason", "production predates Rookery"], env);
    expect(baseline.code, baseline.stderr).toBe(0);
    expect(baseline.stdout).toContain("3 version(s) up to 20251101_000003 recorded as applied without running them");
    const rows = await query<{ version: string; status: string; checksum: string; rollback_script: string | null; applied_by: string }>(
      url, "SELECT version, status, checksum, rollback_script, applied_by FROM schema_migrations ORDER BY version");
    expect(rows.map((row) => [row.version, row.status, row.rollback_script, row.applied_by])).toEqual([
      ["20251101_000001", "applied", "DROP TABLE users;\n", "cli:tester"],
      ["20251101_000002", "applied", null, "cli:tester"],
      ["20251101_000003", "applied", null, "cli:tester"],
    ]);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
    expect(await query(url, "SELECT version, event, reason FROM migration_events WHERE event = 'baselined' ORDER BY version")).toEqual([
      { version: "20251101_000001", event: "baselined", reason: "production predates Rookery" },
      { version: "20251101_000002", event: "baselined", reason: "production predates Rookery" },
      { version: "20251101_000003", event: "baselined", reason: "production predates Rookery" },
    ]);
    expect(await query(url, "SELECT action, detail->'baselined' AS versions FROM rookery_control.audit_log WHERE action = 'command.baseline'")).toEqual([
      { action: "command.baseline", versions: ["20251101_000001", "20251101_000002", "20251101_000003"] },
    ]);
    const apply = await rookery(["apply", "--all"], env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/^20251102_000001\s+applied/);
    expect(apply.stdout).not.toContain("20251101_");
    expect((await query(url, "SELECT current_version FROM schema_version"))[0]).toEqual({ current_version: "20251102_000001" });
  });

  it("is idempotent, and refuses a version not in the folder", async () => {
    const again = await rookery(["baseline", "20251101_000003"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 version(s)");
    expect((await rookery(["baseline", "20251105_000001"], env)).code).toBe(1);
    expect((await rookery(["baseline", "yesterday"], env)).code).toBe(2);
  });
});

/** Three migrations in each tool's layout; the tool has applied the first two. */
const HISTORIES = {
  "golang-migrate": {
    files: {
      "000001_create_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
      "000001_create_users.down.sql": "DROP TABLE users;\n",
      "000002_add_email.up.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "000003_add_name.up.sql": "ALTER TABLE users ADD COLUMN name text;\n",
    },
    recorded: ["2"],
    ledgerSchema: "rookery",
    versions: ["00000000_000001", "00000000_000002"],
  },
  flyway: {
    files: {
      "V1__create_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
      "U1__create_users.sql": "DROP TABLE users;\n",
      "V1.1__add_email.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "V2__add_name.sql": "ALTER TABLE users ADD COLUMN name text;\n",
    },
    recorded: ["1", "1.1"],
    ledgerSchema: "public",
    versions: ["00000001_000000", "00000001_001000"],
  },
  dbmate: {
    files: {
      "20240101120000_create_users.sql": "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n",
      "20240102120000_add_email.sql": "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\n",
      "20240103120000_add_name.sql": "-- migrate:up\nALTER TABLE users ADD COLUMN name text;\n",
    },
    recorded: ["20240101120000", "20240102120000"],
    ledgerSchema: "rookery",
    versions: ["20240101_120000", "20240102_120000"],
  },
  goose: {
    files: {
      "00001_create_users.sql": "-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE users;\n",
      "00002_add_email.sql": "-- +goose Up\nALTER TABLE users ADD COLUMN email text;\n",
      "00003_add_name.sql": "-- +goose Up\nALTER TABLE users ADD COLUMN name text;\n",
    },
    recorded: ["1", "2"],
    ledgerSchema: "public",
    versions: ["00000000_000001", "00000000_000002"],
  },
  "node-pg-migrate": {
    files: {
      "1700000000000_step.sql": "-- Up Migration\nSELECT 1;\n-- Down Migration\nSELECT 1;\n",
      "1700000100000_step.sql": "-- Up Migration\nSELECT 1;\n-- Down Migration\nSELECT 1;\n",
      "1700000200000_step.sql": "-- Up Migration\nCREATE TABLE users (id bigint PRIMARY KEY);\n",
    },
    recorded: ["1700000000000", "1700000100000"],
    ledgerSchema: "public",
    versions: ["20231114_221320", "20231114_221500"],
  },
} as const;

const TOOL_OF = { "golang-migrate": "golang-migrate", flyway: "Flyway", dbmate: "dbmate", goose: "goose", "node-pg-migrate": "node-pg-migrate" } as const;

describe("rookery import --from another tool", () => {
  it.each(Object.keys(HISTORIES) as (keyof typeof HISTORIES)[])("%s: its applied versions are recorded, its table left as it was, status shows only the rest pending", async (from) => {
    const history = HISTORIES[from];
    const url = await createTestDatabase(`import-${from}`);
    await FOREIGN_LEDGERS[TOOL_OF[from]](url, [...history.recorded]);
    const foreignTable = from === "flyway" ? "flyway_schema_history" : from === "goose" ? "goose_db_version" : from === "node-pg-migrate" ? "pgmigrations" : "public.schema_migrations";
    const before = await query(url, `SELECT * FROM ${foreignTable}`);
    const dir = migrationsFolder(history.files);
    const config = configFile({ production: { databaseUrl: url, ledgerSchema: history.ledgerSchema } });
    const env = { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir, DATABASE_URL: url };
    const run = await rookery(["import", "--from", from, "--json"], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, from, imported: history.versions });
    expect(await query(url, `SELECT * FROM ${foreignTable}`)).toEqual(before);
    const rows = await query<{ version: string; applied_by: string }>(url, `SELECT version, applied_by FROM ${history.ledgerSchema}.schema_migrations ORDER BY version`);
    expect(rows.map((row) => row.version)).toEqual(history.versions);
    if (from === "flyway") expect(rows[0]!.applied_by).toBe("flyway:flyway_user");
    const environment = testEnvironment(url, { ledgerSchema: history.ledgerSchema });
    const status = await getStatus(environment, readCatalog(dir));
    expect(status.counts).toMatchObject({ applied: 2, pending: 1 });
    expect(await query(url, `SELECT count(*)::int AS n FROM ${history.ledgerSchema}.migration_events WHERE event = 'imported'`)).toEqual([{ n: 2 }]);
  });

  it.each(["flyway", "goose", "node-pg-migrate"] as const)("%s: its times (timestamps without a time zone, written in the server's) are read in the server's zone, whatever the importing machine's", async (from) => {
    const history = HISTORIES[from];
    const url = await createTestDatabase(`import-zone-${from}`);
    await FOREIGN_LEDGERS[TOOL_OF[from]](url, [...history.recorded]);
    const run = await rookery(["import", "--from", from], { MIGRATIONS_DIR: migrationsFolder(history.files), DATABASE_URL: url, TZ: "Pacific/Kiritimati" });
    expect(run.code, run.stderr).toBe(0);
    // The tool wrote them a moment ago; read in UTC+14 they would be 14 hours ahead.
    const rows = await query<{ seconds: number }>(url, "SELECT abs(extract(epoch FROM now() - applied_at))::int AS seconds FROM schema_migrations");
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.seconds).toBeLessThan(600);
  });

  it("flyway: a version `flyway repair` marked deleted (its file gone) is not imported, and stays pending when its file comes back", async () => {
    const url = await createTestDatabase("import-flyway-deleted");
    await FOREIGN_LEDGERS.Flyway(url, ["1", "1.1"]);
    // What `flyway repair` writes for an applied migration whose file is missing: a successful DELETE row.
    await query(url, `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
      VALUES (3, '1.1', 'step', 'DELETE', 'V1.1__step.sql', 12345, 'flyway_user', 0, true)`);
    const { "V1.1__add_email.sql": removed, ...files } = HISTORIES.flyway.files;
    const env = { MIGRATIONS_DIR: migrationsFolder(files), DATABASE_URL: url };
    const run = await rookery(["import", "--from", "flyway", "--json"], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, imported: ["00000001_000000"], alreadyRecorded: [] });
    const dir = migrationsFolder({ ...files, "V1.1__add_email.sql": removed });
    const again = await rookery(["import", "--from", "flyway", "--json"], { ...env, MIGRATIONS_DIR: dir });
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, imported: [], alreadyRecorded: ["00000001_000000"] });
    const status = await getStatus(testEnvironment(url), readCatalog(dir));
    expect(status.migrations.map((migration) => [migration.version, migration.state])).toEqual([
      ["00000001_000000", "applied"],
      ["00000001_001000", "pending"],
      ["00000002_000000", "pending"],
    ]);
  });

  it("golang-migrate ledgers in two schemas (a service each): --table names the one to import", async () => {
    const url = await createTestDatabase("import-two-ledgers");
    await query(url, `CREATE SCHEMA svc_a; CREATE SCHEMA svc_b;
      CREATE TABLE svc_a.schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO svc_a.schema_migrations VALUES (1, false);
      CREATE TABLE svc_b.schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO svc_b.schema_migrations VALUES (2, false)`);
    const env = { MIGRATIONS_DIR: migrationsFolder(HISTORIES["golang-migrate"].files), DATABASE_URL: url };
    const ambiguous = await rookery(["import", "--from", "golang-migrate"], env);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain("there are 2 golang-migrate ledgers here: svc_a.schema_migrations, svc_b.schema_migrations");
    expect(ambiguous.stderr).toContain("Name the one to import with --table");
    const wrong = await rookery(["import", "--from", "golang-migrate", "--table", "public.schema_migrations"], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("public.schema_migrations is not a golang-migrate ledger in this database (it has svc_a.schema_migrations, svc_b.schema_migrations)");
    const run = await rookery(["import", "--from", "golang-migrate", "--table", "svc_b.schema_migrations", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, table: "svc_b.schema_migrations", imported: ["00000000_000001", "00000000_000002"] });
  });

  it("refuses a dirty golang-migrate ledger, a folder of another layout, and versions no file has, writing nothing", async () => {
    const url = await createTestDatabase("import-refusals");
    await query(url, `CREATE TABLE "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, true)`);
    const dir = migrationsFolder(HISTORIES["golang-migrate"].files);
    const config = configFile({ production: { databaseUrl: url, ledgerSchema: "rookery" } });
    const env = { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir, DATABASE_URL: url };
    const dirty = await rookery(["import", "--from", "golang-migrate"], env);
    expect(dirty.code).toBe(1);
    expect(dirty.stderr).toContain("golang-migrate left version 2 dirty");
    await query(url, "UPDATE schema_migrations SET version = 7, dirty = false");
    const unmatched = await rookery(["import", "--from", "golang-migrate"], env);
    expect(unmatched.code).toBe(1);
    expect(unmatched.stderr).toContain("recorded 1 version(s) that no file in");
    const wrongLayout = await rookery(["import", "--from", "flyway"], env);
    expect(wrongLayout.code).toBe(2);
    expect(wrongLayout.stderr).toContain("is in the golang-migrate layout, not flyway's");
    expect(await query(url, "SELECT count(*)::int AS n FROM rookery.schema_migrations")).toEqual([{ n: 0 }]);
  });
});
