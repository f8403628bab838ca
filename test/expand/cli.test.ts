import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "../support/cli.ts";
import { configFile } from "../support/config-file.ts";
import { createTestDatabase, query } from "../support/services.ts";

const VERSION = "20251201_000001";

describe("expand-contract from the command line", async () => {
  const url = await createTestDatabase("exp-cli");
  await query(url, "CREATE TABLE orders (id bigint PRIMARY KEY, qty integer NOT NULL); INSERT INTO orders SELECT g, g FROM generate_series(1, 300) g");
  const dir = migrationsFolder({ "2025_12_01/001_qty_bigint.sql": "-- rookery:expand-contract\nALTER TABLE orders ALTER COLUMN qty TYPE bigint;\n" });
  // maxExpandedHours of about 0.2 s, so the WARNING is reached within the test.
  const config = configFile({ production: { databaseUrl: url, maxExpandedHours: 0.00005, backfillBatchSize: 100 } });
  const env = { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir };

  it("plan says the file runs in two phases", async () => {
    const plan = await rookery(["plan", "--json"], env);
    expect(plan.stdout).toContain('"expandContract": true');
  });

  it("apply expands, and status, --json and schema show the expansion", async () => {
    const apply = await rookery(["apply", VERSION], env);
    expect(apply.code).toBe(0);
    expect(apply.stderr).toContain("backfill of orders: 300 rows");
    const status = await rookery(["status"], env);
    expect(status.stdout).toMatch(new RegExp(`${VERSION}\\s+expanded`));
    expect(status.stdout).toContain(`schema rookery_${VERSION}`);
    const json = JSON.parse((await rookery(["status", "--json"], env)).stdout);
    const row = json.migrations.find((migration: { version: string }) => migration.version === VERSION);
    expect(row.expansion).toMatchObject({ phase: "expanded", versionSchema: `rookery_${VERSION}`, backfill: [{ table: "public.orders", rows: 300, done: true }] });
    const schema = await rookery(["schema", VERSION], env);
    expect(schema).toMatchObject({ code: 0, stdout: `rookery_${VERSION}\n` });
  });

  it("health warns once the version has been expanded longer than maxExpandedHours", async () => {
    await sleep(300);
    const health = JSON.parse((await rookery(["health", "--json"], env)).stdout);
    expect(health.alerts).toEqual([expect.objectContaining({ version: VERSION, alertLevel: "WARNING", healthStatus: "EXPANDED", advice: expect.stringContaining("complete or roll back") })]);
  });

  it("complete contracts; complete again is refused, naming the state", async () => {
    const complete = await rookery(["complete", VERSION], env);
    expect(complete.code).toBe(0);
    expect(await query(url, "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' AND column_name = 'qty'")).toEqual([{ data_type: "bigint" }]);
    const again = await rookery(["complete", VERSION], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is completed already");
    const status = await rookery(["status"], env);
    expect(status.stdout).toMatch(new RegExp(`${VERSION}\\s+applied`));
    expect((await rookery(["schema", VERSION], env)).stdout).toBe(`rookery_${VERSION}\n`);
  });

  it("refuses two expand-contract files of one apply --all that touch one table, naming both and the table, before anything runs", async () => {
    const other = migrationsFolder({
      "2025_12_03/001_plain.sql": "CREATE TABLE audit_notes (id bigint PRIMARY KEY);\n",
      "2025_12_03/002_add_note.sql": "-- rookery:expand-contract\nALTER TABLE orders ADD COLUMN note text;\n",
      "2025_12_03/003_rename_qty.sql": "-- rookery:expand-contract\nALTER TABLE orders RENAME COLUMN qty TO quantity;\n",
    });
    const run = await rookery(["apply", "--all"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: other });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("2025_12_03/002_add_note.sql and 2025_12_03/003_rename_qty.sql both expand public.orders in this run (one expansion per table at a time)");
    expect(run.stderr).toContain("Nothing was run.");
    // Nothing applied, nothing recorded: not even the plain file before them.
    expect(await query(url, "SELECT to_regclass('public.audit_notes') AS t")).toEqual([{ t: null }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM schema_migrations WHERE version LIKE '20251203%'")).toEqual([{ n: 0 }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM rookery_expansions WHERE version LIKE '20251203%'")).toEqual([{ n: 0 }]);
  });

  it("refuses a file with a statement that cannot run in two phases, naming it, before anything runs", async () => {
    const other = migrationsFolder({
      "2025_12_02/001_mixed.sql": "-- rookery:expand-contract\nALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_note ON orders (note);\n",
    });
    const run = await rookery(["apply", "--all"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: other });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("line 3: CREATE INDEX orders_note ON orders (note) cannot run in two phases");
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' ORDER BY ordinal_position")).toEqual([{ column_name: "id" }, { column_name: "qty" }]);
  });
});
