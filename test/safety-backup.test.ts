import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema, type Environment } from "../src/config/index.ts";
import { listBackups, pgToolConnection } from "../src/runner/backup.ts";
import { applyMigrations, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

function environment(url: string, settings: Partial<Environment> = {}): Environment {
  return { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "production", ...settings };
}

const WIDGETS = {
  "2025_11_01/001_create_widgets.sql":
    "CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);\nINSERT INTO widgets VALUES (1, 'one'), (2, 'two'), (3, 'three');\n",
  "2025_11_01/002_drop_widget_names.sql": "ALTER TABLE widgets DROP COLUMN name;\n",
};

describe("backups before an apply", () => {
  let url: string;
  let inspection: string;
  beforeAll(async () => {
    url = await createTestDatabase("backup");
    inspection = await createTestDatabase("backupinto");
  });

  it("takes a checked dump before applying, records it, lists it, and restores it into another database", async () => {
    const dir = migrationsFolder(WIDGETS);
    const backupDir = path.join(scratchFolder(), "backups");
    const catalog = readCatalog(dir);
    await applyMigrations({ environment: environment(url), catalog, actor: "test" }, { versions: ["20251101_000001"] });

    const progress: string[] = [];
    const env = environment(url, { backup: true, backupDir });
    const report = await applyMigrations({ environment: env, catalog, actor: "test", onProgress: (event) => void progress.push(`${event.step}: ${event.message}`) });
    expect(report.applied.map((each) => each.version)).toEqual(["20251101_000002"]);

    const backups = listBackups(env);
    expect(backups).toHaveLength(1);
    const backup = backups[0]!;
    expect(backup.sizeBytes).toBeGreaterThan(0);
    expect(progress.some((line) => line.startsWith("backup: ") && line.includes(backup.path))).toBe(true);
    const events = await query<{ detail: { path: string; sizeBytes: number } }>(url, "SELECT detail FROM migration_events WHERE event = 'backup'");
    expect(events.map((event) => event.detail)).toEqual([expect.objectContaining({ path: backup.path, sizeBytes: backup.sizeBytes })]);

    const config = path.join(scratchFolder(), "rookery.config.yml");
    writeFileSync(config, `environments:\n  production:\n    databaseUrl: ${url}\n    backup: true\n    backupDir: ${backupDir}\n`);
    const list = await rookery(["backup", "list", "--env", "production"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(backup.name);

    const restore = await rookery(["backup", "restore", backup.name, "--into", inspection, "--env", "production"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    // The dump is of the moment before 002: the names it dropped are there to inspect.
    expect(await query(inspection, "SELECT id, name FROM widgets ORDER BY id")).toEqual([
      { id: 1, name: "one" },
      { id: 2, name: "two" },
      { id: 3, name: "three" },
    ]);
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'name'")).toEqual([]);

    // Restored twice: pg_restore stops at the first object already there and says which; its "Command was:"
    // lines (the statement, many lines for a function) are not the error.
    const again = await rookery(["backup", "restore", backup.name, "--into", inspection, "--env", "production"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/failed: pg_restore exited with 1: pg_restore: error: could not execute query: ERROR: .*already exists/);
    expect(again.stderr).not.toMatch(/Command was/);

    const intoItself = await rookery(["backup", "restore", backup.name, "--into", url, "--env", "production"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(intoItself.code).toBe(2);
    expect(intoItself.stderr).toMatch(/refusing to restore into production's own database/);

    // The same database through the Unix socket: another URL, the same system_identifier and oid.
    const socketDir = "/var/run/postgresql";
    const port = new URL(url).port || "5432";
    if (existsSync(path.join(socketDir, `.s.PGSQL.${port}`))) {
      const viaSocket = `postgresql://postgres@${encodeURIComponent(socketDir)}:${port}${new URL(url).pathname}`;
      const before = await query(url, "SELECT count(*)::int AS n FROM migration_events");
      const throughSocket = await rookery(["backup", "restore", backup.name, "--into", viaSocket, "--env", "production"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
      expect(throughSocket.stderr).toMatch(/refusing to restore into production's own database .*same database as production's databaseUrl/);
      expect(throughSocket.code).toBe(2);
      expect(await query(url, "SELECT count(*)::int AS n FROM migration_events")).toEqual(before);
    }
  });

  it("refuses to restore when the environment's own database cannot be reached to compare", async () => {
    const backupDir = path.join(scratchFolder(), "backups");
    mkdirSync(backupDir, { recursive: true });
    writeFileSync(path.join(backupDir, "production_20251101T000000Z_20251101_000001.dump"), "not a dump");
    const config = path.join(scratchFolder(), "rookery.config.yml");
    writeFileSync(config, `environments:\n  production:\n    databaseUrl: postgres://postgres@127.0.0.1:1/nowhere\n    backupDir: ${backupDir}\n`);
    const run = await rookery(["backup", "restore", "production_20251101T000000Z_20251101_000001.dump", "--into", inspection, "--env", "production"], { ROOKERY_CONFIG: config });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot tell whether .* is production's own database, so nothing was restored/);
  });

  it("restoring into a database that does not exist says so and points at --into, not at the environment's databaseUrl", async () => {
    const backupDir = path.join(scratchFolder(), "backups");
    mkdirSync(backupDir, { recursive: true });
    writeFileSync(path.join(backupDir, "production_20251101T000000Z_20251101_000001.dump"), "not a dump");
    const config = path.join(scratchFolder(), "rookery.config.yml");
    writeFileSync(config, `environments:\n  production:\n    databaseUrl: ${url}\n    backupDir: ${backupDir}\n`);
    const missing = `${inspection}_not_created`;
    const run = await rookery(["backup", "restore", "production_20251101T000000Z_20251101_000001.dump", "--into", missing, "--env", "production"], { ROOKERY_CONFIG: config });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/database ".*_not_created" does not exist; nothing was restored/);
    expect(run.stderr).toContain("the URL given to --into");
    expect(run.stderr).not.toMatch(/databaseUrl|docker-compose/);
  });

  it("a fleet's databases, sharing backupDir, each take, list and prune their own dump; another environment's stay", async () => {
    const tenants = await Promise.all(["backupfleet_a", "backupfleet_b", "backupfleet_c"].map((name) => createTestDatabase(name)));
    const other = await createTestDatabase("backupfleet_eu");
    const dir = migrationsFolder(WIDGETS);
    const backupDir = path.join(scratchFolder(), "backups");
    const config = path.join(scratchFolder(), "rookery.config.yml");
    writeFileSync(
      config,
      [
        "environments:",
        "  prod:",
        `    databaseUrl: ${url}`,
        "    backup: true",
        `    backupDir: ${backupDir}`,
        "    backupKeep: 1",
        "    targets:",
        "      tenants:",
        `        dir: ${dir}`,
        "        fleet:",
        "          canary: 0",
        "          maxParallel: 3",
        "          databases:",
        ...tenants.map((tenant, index) => `            - { name: t${index}, databaseUrl: "${tenant}" }`),
        "  prod_eu:",
        `    databaseUrl: ${other}`,
        "    backup: true",
        `    backupDir: ${backupDir}`,
        "    backupKeep: 1",
        "",
      ].join("\n"),
    );
    const eu = await rookery(["apply", "20251101_000001", "--env", "prod_eu"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(eu.code).toBe(0);
    // Three databases dumping at once, into one folder, in the same second: before, they shared one file name.
    const first = await rookery(["apply", "20251101_000001", "--env", "prod"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(first.stderr).not.toContain("backup of prod failed");
    expect(first.code).toBe(0);
    // backupKeep 1 is per database: each tenant's newer dump prunes its own older one, no other tenant's.
    const second = await rookery(["apply", "20251101_000002", "--env", "prod"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(second.code).toBe(0);
    const names = readdirSync(backupDir).sort();
    expect(names).toHaveLength(4);
    expect(names.filter((name) => name.startsWith("prod_eu_before_20251101_000001_"))).toHaveLength(1);
    for (const index of [0, 1, 2]) {
      expect(names.filter((name) => name.startsWith(`prod.tenants-t${index}_before_20251101_000002_`))).toHaveLength(1);
      const [recorded] = await query<{ name: string }>(tenants[index]!, "SELECT detail->>'name' AS name FROM migration_events WHERE event = 'backup' ORDER BY id DESC LIMIT 1");
      expect(names).toContain(recorded!.name);
    }
    const list = await rookery(["backup", "list", "--env", "prod", "--json"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(JSON.parse(list.stdout).backups.map((backup: { name: string }) => backup.name).sort()).toEqual(names.filter((name) => name.startsWith("prod.")));

    // A tenant's dump is not restored into a live tenant: the fleet's databases are the environment's own.
    const dump = names.find((name) => name.startsWith("prod.tenants-t0_"))!;
    const intoTenant = await rookery(["backup", "restore", dump, "--into", tenants[1]!, "--env", "prod"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(intoTenant.stderr).toMatch(/refusing to restore into prod's own database .*: it is the same database as tenants\/t1/);
    expect(intoTenant.code).toBe(2);
  });

  it("stops the apply when the backup fails, with nothing applied", async () => {
    const failing = await createTestDatabase("backupfail");
    const dir = migrationsFolder(WIDGETS);
    const notAFolder = path.join(scratchFolder(), "a-file");
    writeFileSync(notAFolder, "");
    const env = environment(failing, { backup: true, backupDir: path.join(notAFolder, "backups") });

    await expect(applyMigrations({ environment: env, catalog: readCatalog(dir), actor: "test" })).rejects.toThrow(
      /backup of production failed, so nothing was applied/,
    );
    expect(await query(failing, "SELECT to_regclass('public.widgets') IS NULL AS absent")).toEqual([{ absent: true }]);
    expect(await query(failing, "SELECT version, status FROM schema_migrations")).toEqual([]);
    expect(await query(failing, "SELECT event FROM migration_events WHERE event IN ('backup', 'applied')")).toEqual([]);
  });

  it("archives the rows a data change touches and puts them back on rollback", async () => {
    const archived = await createTestDatabase("archive");
    const dir = migrationsFolder({
      "2025_11_01/001_create_widgets.sql": WIDGETS["2025_11_01/001_create_widgets.sql"],
      "2025_11_01/002_prune_widgets.sql": "DELETE FROM widgets WHERE id >= 2;\nUPDATE widgets w SET name = 'renamed' WHERE w.id = 1;\n",
      "2025_11_01/rollback_002_prune_widgets.sql": "-- rookery:restore-archive\nANALYZE widgets;\n",
    });
    const catalog = readCatalog(dir);
    const env = environment(archived, { backup: true, backupDir: path.join(scratchFolder(), "backups") });
    const report = await applyMigrations({ environment: env, catalog, actor: "test" });
    expect(report.failed).toBeUndefined();
    expect(await query(archived, "SELECT id, name FROM widgets ORDER BY id")).toEqual([{ id: 1, name: "renamed" }]);
    expect(await query(archived, "SELECT (\"row\"->>'id')::int AS id, \"row\"->>'name' AS name FROM rookery_archive.\"20251101_000002_1\" ORDER BY 1")).toEqual([
      { id: 2, name: "two" },
      { id: 3, name: "three" },
    ]);

    await rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000002", reason: "restore the pruned widgets" });
    expect(await query(archived, "SELECT id, name FROM widgets ORDER BY id")).toEqual([
      { id: 1, name: "one" },
      { id: 2, name: "two" },
      { id: 3, name: "three" },
    ]);
  });

  it("archives through joins, CTEs and RETURNING, touching only the rows the statements touch", async () => {
    const archived = await createTestDatabase("archivejoin");
    const dir = migrationsFolder({
      "2025_11_01/001_create_widgets.sql":
        "CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL, label text GENERATED ALWAYS AS (upper(name)) STORED);\n" +
        "INSERT INTO widgets (id, name) SELECT i, 'w' || i FROM generate_series(1, 6) AS i;\n" +
        "CREATE TABLE doomed (widget_id int);\nINSERT INTO doomed VALUES (2), (2), (5);\n",
      "2025_11_01/002_clean_widgets.sql":
        "-- description: Clean widgets\n" +
        "DELETE FROM widgets w USING doomed d WHERE w.id = d.widget_id RETURNING w.id;\n" +
        "WITH late AS (SELECT id FROM widgets WHERE id >= 4)\nUPDATE widgets SET name = 'late;' WHERE id IN (SELECT id FROM late);\n",
      "2025_11_01/rollback_002_clean_widgets.sql": "-- rookery:restore-archive\nANALYZE widgets;\n",
    });
    const catalog = readCatalog(dir);
    const env = environment(archived, { backup: true, backupDir: path.join(scratchFolder(), "backups") });

    const report = await applyMigrations({ environment: env, catalog, actor: "test" });

    expect(report.failed).toBeUndefined();
    expect(await query(archived, "SELECT archive_table, source_table, statement_kind, row_count::int FROM rookery_archive.archives ORDER BY seq")).toEqual([
      { archive_table: "20251101_000002_1", source_table: "widgets", statement_kind: "delete", row_count: 2 },
      { archive_table: "20251101_000002_2", source_table: "widgets", statement_kind: "update", row_count: 2 },
    ]);
    expect(await query(archived, "SELECT id, name FROM widgets ORDER BY id")).toEqual([
      { id: 1, name: "w1" },
      { id: 3, name: "w3" },
      { id: 4, name: "late;" },
      { id: 6, name: "late;" },
    ]);

    await rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000002", reason: "undo the clean-up" });

    expect(await query(archived, "SELECT id, name, label FROM widgets ORDER BY id")).toEqual(
      [1, 2, 3, 4, 5, 6].map((id) => ({ id, name: `w${id}`, label: `W${id}` })),
    );
  });

  it("keeps no dependency on the table's enum: a migration rebuilding the enum applies, and rolling back restores the values", async () => {
    const archived = await createTestDatabase("archiveenum");
    const rebuild = (labels: string) =>
      "ALTER TYPE order_status RENAME TO order_status_old;\n" +
      `CREATE TYPE order_status AS ENUM (${labels});\n` +
      "ALTER TABLE orders ALTER COLUMN status TYPE order_status USING status::text::order_status;\nDROP TYPE order_status_old;\n";
    const dir = migrationsFolder({
      "2025_11_01/001_orders.sql":
        "CREATE TYPE order_status AS ENUM ('pending', 'paid', 'void');\n" +
        "CREATE TABLE orders (id int PRIMARY KEY, status order_status NOT NULL);\nINSERT INTO orders VALUES (1, 'pending'), (2, 'pending'), (3, 'paid');\n",
      "2025_11_01/002_void_pending.sql": "UPDATE orders SET status = 'void' WHERE status = 'pending';\n",
      "2025_11_01/rollback_002_void_pending.sql": "-- rookery:restore-archive\nANALYZE orders;\n",
      "2025_11_01/003_add_refunded.sql": rebuild("'pending', 'paid', 'void', 'refunded'"),
      "2025_11_01/rollback_003_add_refunded.sql": rebuild("'pending', 'paid', 'void'"),
    });
    const catalog = readCatalog(dir);
    const env = environment(archived, { backup: true, backupDir: path.join(scratchFolder(), "backups") });

    const report = await applyMigrations({ environment: env, catalog, actor: "test" });
    expect(report.failed).toBeUndefined();
    expect(report.applied.map((each) => each.version)).toEqual(["20251101_000001", "20251101_000002", "20251101_000003"]);

    await rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000003", reason: "refunds later" });
    await rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000002", reason: "they were not void" });
    expect(await query(archived, "SELECT id, status::text FROM orders ORDER BY id")).toEqual([
      { id: 1, status: "pending" },
      { id: 2, status: "pending" },
      { id: 3, status: "paid" },
    ]);
  });

  it("keeps the archives of the newest archiveKeep versions only, and says so when a pruned one is asked back", async () => {
    const archived = await createTestDatabase("archivekeep");
    const files: Record<string, string> = {
      "2025_11_01/001_counters.sql": "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);\nINSERT INTO counters VALUES (1, 0);\n",
    };
    for (const step of [2, 3, 4]) {
      files[`2025_11_01/00${step}_bump.sql`] = `UPDATE counters SET n = ${step} WHERE id = 1;\n`;
      files[`2025_11_01/rollback_00${step}_bump.sql`] = "-- rookery:restore-archive\nANALYZE counters;\n";
    }
    const catalog = readCatalog(migrationsFolder(files));
    const env = environment(archived, { backup: true, backupDir: path.join(scratchFolder(), "backups"), archiveKeep: 2 });
    expect((await applyMigrations({ environment: env, catalog, actor: "test" })).failed).toBeUndefined();

    const tables = await query<{ name: string }>(archived, "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'rookery_archive' AND tablename <> 'archives' ORDER BY 1");
    expect(tables.map((table) => table.name)).toEqual(["20251101_000003_1", "20251101_000004_1"]);
    expect(await query(archived, "SELECT version, removed_at IS NOT NULL AS removed FROM rookery_archive.archives ORDER BY version")).toEqual([
      { version: "20251101_000002", removed: true },
      { version: "20251101_000003", removed: false },
      { version: "20251101_000004", removed: false },
    ]);

    await rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000004", reason: "too far" });
    expect(await query(archived, "SELECT n FROM counters")).toEqual([{ n: 3 }]);
    await rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000003", reason: "too far" });
    await expect(rollbackMigration({ environment: env, catalog, actor: "test" }, { version: "20251101_000002", reason: "too far" })).rejects.toThrow(
      /the rows 20251101_000002 changed can no longer be restored: its archive was removed/,
    );
    expect(await query(archived, "SELECT n FROM counters")).toEqual([{ n: 2 }]);
  });

  it("hands pg_dump and pg_restore the password through the environment, never on the command line", () => {
    const { dbname, env } = pgToolConnection("postgres://deploy:s3cr%40t@db.internal:5433/app?sslmode=require");
    expect(dbname).not.toContain("s3cr");
    expect(dbname).toBe("postgres://deploy@db.internal:5433/app?sslmode=require");
    expect(env.PGPASSWORD).toBe("s3cr@t");
  });
});
