import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { adminDatabaseUrl, createTestDatabase, query } from "./support/services.ts";

describe("every migration of a run starts from a clean session", async () => {
  const url = await createTestDatabase("session-reset");
  // Roles are the server's, not the database's: a name of this file's own, dropped when it ends.
  const role = `rookery_reset_${randomBytes(4).toString("hex")}`;
  await query(url, `CREATE ROLE ${role} NOLOGIN`);
  afterAll(async () => {
    await query(url, `DROP OWNED BY ${role}`).catch(() => {});
    await query(adminDatabaseUrl(), `DROP ROLE IF EXISTS ${role}`);
  });

  const dir = migrationsFolder({
    "2025_12_01/001_billing_schema.sql":
      "CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY);\nSET search_path = billing, public;\n",
    "2025_12_01/rollback_001_billing_schema.sql": "DROP SCHEMA IF EXISTS billing CASCADE;\n",
    "2025_12_01/002_customers.sql":
      "CREATE TABLE customers (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id));\n" +
      "SET session_replication_role = replica;\n",
    "2025_12_01/003_orphan_order.sql": "INSERT INTO orders (id, customer_id) VALUES (1, 999);\n",
  });
  const later = migrationsFolder({
    "2025_12_02/001_as_role.sql": `GRANT CREATE ON SCHEMA public TO ${role};\nSET ROLE ${role};\nCREATE TEMP TABLE scratch (n int);\n`,
    "2025_12_02/rollback_001_as_role.sql": `SET ROLE ${role};\nDROP TABLE IF EXISTS nothing_here;\n`,
    "2025_12_02/002_who_owns.sql":
      "CREATE TABLE lock_seen AS SELECT current_user::text AS who, " +
      "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)::int AS advisory_locks, " +
      "to_regclass('pg_temp.scratch') IS NULL AS temp_table_gone;\n",
  });
  const environment = testEnvironment(url);

  // One run, one session: each migration follows one that changed a session setting.
  const run = applyMigrations(runContext(environment, dir));

  it("does not let one migration's SET search_path decide where the next one creates its tables", async () => {
    const report = await run;
    expect(report.applied.map((step) => step.version)).toEqual(["20251201_000001", "20251201_000002"]);
    const tables = await query<{ schema: string; name: string }>(
      url,
      "SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_name IN ('customers', 'orders', 'invoices') ORDER BY 2",
    );
    expect(tables).toEqual([
      { schema: "public", name: "customers" },
      { schema: "billing", name: "invoices" },
      { schema: "public", name: "orders" },
    ]);
  });

  it("does not let SET session_replication_role = replica switch off the next migration's foreign keys", async () => {
    const report = await run;
    expect(report.failed?.version).toBe("20251201_000003");
    expect(report.failed?.error).toContain("orders_customer_id_fkey");
    expect(await query(url, "SELECT * FROM orders")).toEqual([]);
  });

  it("rolling back the schema that set search_path drops only that schema's tables", async () => {
    await rollbackMigration(runContext(environment, dir), { version: "20251201_000001", reason: "billing moves elsewhere" });
    const left = await query<{ name: string }>(url, "SELECT table_name AS name FROM information_schema.tables WHERE table_name IN ('customers', 'orders', 'invoices') ORDER BY 1");
    expect(left.map((row) => row.name)).toEqual(["customers", "orders"]);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([
      ["20251201_000001", "rolled_back"],
      ["20251201_000002", "applied"],
      ["20251201_000003", "failed"],
    ]);
  });

  it("resets SET ROLE and temporary tables but keeps the migration lock and the actor", async () => {
    const report = await applyMigrations(runContext(environment, later, "slack:URESET"));
    expect(report.failed).toBeUndefined();
    const [seen] = await query<{ who: string; advisory_locks: number; temp_table_gone: boolean }>(url, "SELECT * FROM lock_seen");
    const [{ owner }] = await query<{ owner: string }>(url, "SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'lock_seen'") as [{ owner: string }];
    expect(seen).toEqual({ who: "postgres", advisory_locks: 1, temp_table_gone: true });
    expect(owner).toBe("postgres");
    const rows = await ledgerRows(url);
    expect(rows.filter((row) => row.version.startsWith("20251202")).map((row) => row.applied_by)).toEqual(["slack:URESET", "slack:URESET"]);
  });

  it("writes a rollback's ledger row as Rookery even when the rollback script SET ROLE", async () => {
    await rollbackMigration(runContext(environment, later, "slack:URESET"), { version: "20251202_000001", reason: "role gone" });
    const [row] = (await ledgerRows(url)).filter((each) => each.version === "20251202_000001");
    expect(row?.status).toBe("rolled_back");
  });
});

describe("a plan one migration cached does not decide what the next one reads", async () => {
  const url = await createTestDatabase("session-plans");
  const dir = migrationsFolder({
    "2025_12_03/001_labels.sql":
      "CREATE SCHEMA stock;\nCREATE TABLE stock.items (label text);\nINSERT INTO stock.items VALUES ('stock');\n" +
      "CREATE TABLE items (label text);\nINSERT INTO items VALUES ('public');\n" +
      "CREATE FUNCTION item_label() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT label FROM items LIMIT 1); END $$;\n" +
      "PREPARE item_count AS SELECT count(*) FROM items;\n" +
      "SET search_path = stock, public;\nCREATE TABLE public.seen_first AS SELECT item_label() AS label;\n",
    "2025_12_03/002_read_again.sql":
      "CREATE TABLE seen_second AS SELECT item_label() AS label, (SELECT count(*) FROM pg_prepared_statements)::int AS prepared;\n",
    "2025_12_03/003_replace_items.sql":
      "ALTER TABLE items RENAME TO items_before;\nCREATE TABLE items (label text);\nINSERT INTO items VALUES ('replaced');\n" +
      "CREATE TABLE seen_third AS SELECT item_label() AS label;\n",
  });

  it("plans again under the reset search_path and after the table it read was replaced; prepared statements are gone", async () => {
    const report = await applyMigrations(runContext(testEnvironment(url), dir));
    expect(report.failed).toBeUndefined();
    expect(await query(url, "SELECT label FROM seen_first")).toEqual([{ label: "stock" }]);
    expect(await query(url, "SELECT label, prepared FROM seen_second")).toEqual([{ label: "public", prepared: 0 }]);
    expect(await query(url, "SELECT label FROM seen_third")).toEqual([{ label: "replaced" }]);
  });
});

describe("the dead-connection guards after a reset", async () => {
  const url = await createTestDatabase("session-guards");
  const dir = migrationsFolder({
    "2025_12_04/001_unguard.sql": "CREATE TABLE guarded (id bigint);\nSET idle_session_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\nSET tcp_keepalives_idle = 0;\n",
    "2025_12_04/002_look.sql":
      "CREATE TABLE guards_seen AS SELECT current_setting('idle_session_timeout') AS idle, current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction, current_setting('tcp_keepalives_idle') AS keepalives_idle;\n",
  });

  it("are set again for the next migration, whatever the one before SET", async () => {
    const report = await applyMigrations(runContext(testEnvironment(url, { statementTimeout: 60_000, queryDeadlineGrace: 5_000 }), dir));
    expect(report.failed).toBeUndefined();
    expect(await query(url, "SELECT * FROM guards_seen")).toEqual([{ idle: "65s", idle_in_transaction: "65s", keepalives_idle: "10" }]);
  });
});
