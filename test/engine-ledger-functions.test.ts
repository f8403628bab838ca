import pg from "pg";
import { describe, expect, it } from "vitest";
import { checksumOf } from "../src/catalog/index.ts";
import { ensureLedger, MIGRATION_LOCK_KEY } from "../src/ledger/index.ts";
import { readCatalog } from "../src/catalog/index.ts";
import { getStatus } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { columnsOf, eventsOf, ledgerRows, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

async function withClients<T>(url: string, count: number, use: (clients: pg.Client[]) => Promise<T>): Promise<T> {
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    return await use(clients);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

describe("the ledger's SQL functions, as a DBA calls them at psql", async () => {
  const url = await createTestDatabase("engine-functions");

  it("creates the ledger once, even when two runners create it at the same moment", async () => {
    await withClients(url, 3, (clients) => Promise.all(clients.map((client) => ensureLedger(client, "public"))));
    await withClients(url, 1, (clients) => ensureLedger(clients[0]!, "public"));
    expect(await query(url, "SELECT id, current_version, applied_by FROM schema_version")).toEqual([{ id: 1, current_version: null, applied_by: "system" }]);
  });

  it("every function of the ledger has a body its language accepts (they are created without the check)", async () => {
    const functions = await query<{ name: string; language: string; oid: number }>(
      url,
      "SELECT p.proname AS name, l.lanname AS language, p.oid::int AS oid FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1",
    );
    expect(functions.map((found) => found.name)).toEqual(expect.arrayContaining(["apply_migration", "rollback_migration", "rookery_record_applied", "rookery_mark_progress"]));
    for (const found of functions) {
      const validator = found.language === "plpgsql" ? "plpgsql_validator" : found.language === "sql" ? "fmgr_sql_validator" : undefined;
      expect(validator, `${found.name} is written in ${found.language}`).toBeDefined();
      // The validator checks the body as CREATE FUNCTION would with check_function_bodies on (the session's default).
      await query(url, `SELECT ${validator}($1::oid)`, [found.oid]);
    }
  });

  it("apply_migration records a failure that persists, and leaves nothing of the migration", async () => {
    const [result] = await query<{ ok: boolean }>(url, "SELECT apply_migration('20251101_000001', 'widgets', 'CREATE TABLE widgets (id int); SELECT 1/0', 'DROP TABLE widgets') AS ok");
    expect(result?.ok).toBe(false);
    expect(await columnsOf(url, "widgets")).toEqual([]);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "failed"]]);
    expect((await eventsOf(url, "20251101_000001")).map((event) => [event.event, event.error_message])).toEqual([["failed", "division by zero"]]);
  });

  it("apply_migration applies a failed version again, with rookery's checksum", async () => {
    const sql = "CREATE TABLE widgets (id int);\r\n";
    const [result] = await query<{ ok: boolean }>(url, "SELECT apply_migration('20251101_000001', 'widgets', $1, 'DROP TABLE widgets') AS ok", [sql]);
    expect(result?.ok).toBe(true);
    expect(await columnsOf(url, "widgets")).toEqual(["id"]);
    const [row] = await ledgerRows(url);
    expect(row).toMatchObject({ status: "applied", checksum: checksumOf(sql), rollback_script: "DROP TABLE widgets" });
    expect(await query(url, "SELECT current_version FROM schema_version")).toEqual([{ current_version: "20251101_000001" }]);
  });

  it("rollback_migration keeps applied_at and records the reason; the version can be applied again", async () => {
    const [before] = await ledgerRows(url);
    const [result] = await query<{ ok: boolean }>(url, "SELECT rollback_migration('20251101_000001', $1) AS ok", ["it's slow; really"]);
    expect(result?.ok).toBe(true);
    const [after] = await ledgerRows(url);
    expect(after?.status).toBe("rolled_back");
    expect(after?.applied_at.toISOString()).toBe(before?.applied_at.toISOString());
    expect(await columnsOf(url, "widgets")).toEqual([]);
    expect((await eventsOf(url, "20251101_000001")).at(-1)).toMatchObject({ event: "rolled_back", reason: "it's slow; really" });
    const [again] = await query<{ ok: boolean }>(url, "SELECT apply_migration('20251101_000001', 'widgets', 'CREATE TABLE widgets (id int)', 'DROP TABLE widgets') AS ok");
    expect(again?.ok).toBe(true);
  });

  it("rollback_migration records a failed rollback instead of erasing the record", async () => {
    await query(url, "SELECT apply_migration('20251101_000002', 'gadgets', 'CREATE TABLE gadgets (id int)', 'DROP TABLE no_such_table')");
    const [result] = await query<{ ok: boolean }>(url, "SELECT rollback_migration('20251101_000002', 'try') AS ok");
    expect(result?.ok).toBe(false);
    expect((await ledgerRows(url)).find((row) => row.version === "20251101_000002")?.status).toBe("applied");
    expect((await eventsOf(url, "20251101_000002")).at(-1)).toMatchObject({ event: "rollback_failed", reason: "try" });
    expect(await query(url, "SELECT severity FROM system_notifications WHERE title = 'Rollback Failed'")).toEqual([{ severity: "critical" }]);
  });

  it("apply_migration cannot run CREATE INDEX CONCURRENTLY, and says so in a recorded failure", async () => {
    const [result] = await query<{ ok: boolean }>(url, "SELECT apply_migration('20251101_000003', 'idx', 'CREATE INDEX CONCURRENTLY gadgets_id ON gadgets (id)') AS ok");
    expect(result?.ok).toBe(false);
    expect((await ledgerRows(url)).find((row) => row.version === "20251101_000003")?.status).toBe("failed");
  });

  it("alert_migration_issues raises one lower-case alert per problem however often it runs, and resolves it when cleared", async () => {
    await query(url, "SELECT alert_migration_issues()");
    await query(url, "SELECT alert_migration_issues()");
    const open = () => query<{ severity: string; dedupe_key: string }>(url, "SELECT severity, dedupe_key FROM system_notifications WHERE resolved_at IS NULL AND dedupe_key IS NOT NULL ORDER BY dedupe_key");
    // 000002 is still applied after its rollback failed (above): a CRITICAL too, until it is rolled back.
    expect(await open()).toEqual([
      { severity: "critical", dedupe_key: "migration_health:20251101_000002:applied" },
      { severity: "critical", dedupe_key: "migration_health:20251101_000003:failed" },
    ]);
    await query(url, "SELECT apply_migration('20251101_000003', 'idx', 'CREATE INDEX gadgets_id ON gadgets (id)')");
    await query(url, "SELECT alert_migration_issues()");
    expect(await open()).toEqual([{ severity: "critical", dedupe_key: "migration_health:20251101_000002:applied" }]);
    await query(url, "UPDATE schema_migrations SET rollback_script = 'DROP TABLE gadgets CASCADE' WHERE version = '20251101_000002'");
    expect(await query(url, "SELECT rollback_migration('20251101_000002', 'again') AS ok")).toEqual([{ ok: true }]);
    await query(url, "SELECT alert_migration_issues()");
    expect(await open()).toEqual([{ severity: "warning", dedupe_key: "migration_health:20251101_000002:rolled_back" }]);
  });

  it("apply_tenant_safe_migration works when the tenant tables are missing", async () => {
    const [result] = await query<{ ok: boolean }>(url, "SELECT apply_tenant_safe_migration('CREATE TABLE tenant_notes (id int)') AS ok");
    expect(result?.ok).toBe(true);
    expect(await query(url, "SELECT affected_tenants, event FROM migration_events WHERE migration_type = 'tenant_safe'")).toEqual([{ affected_tenants: 0, event: "tenant_applied" }]);
  });

  it("test_migration_integrity takes the critical tables as a parameter", async () => {
    const rows = await query<{ test_name: string; status: string; details: string }>(url, "SELECT * FROM test_migration_integrity('20251101_000001', ARRAY['widgets', 'tenants'])");
    expect(rows.find((row) => row.test_name === "critical_tables")).toEqual({ test_name: "critical_tables", status: "FAIL", details: "Critical tables missing: tenants" });
    expect(rows.find((row) => row.test_name === "migration_recorded")?.status).toBe("PASS");
  });

  it("apply_migration waits for a running rookery's migration lock instead of racing it", async () => {
    await withClients(url, 2, async ([runner, dba]) => {
      await runner!.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
      await dba!.query("SET lock_timeout = 200");
      await expect(dba!.query("SELECT apply_migration('20251101_000009', 'racing', 'CREATE TABLE racing (id int)')")).rejects.toMatchObject({ code: "55P03" });
      await runner!.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
      expect(await dba!.query("SELECT apply_migration('20251101_000009', 'racing', 'CREATE TABLE racing (id int)') AS ok")).toMatchObject({ rows: [{ ok: true }] });
    });
  });

  it("rookery_assert_migration_lock refuses a transaction whose connection does not hold the migration lock", async () => {
    await withClients(url, 2, async ([holder, other]) => {
      await holder!.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
      const guardedWrite = (client: pg.Client, reason: string) =>
        client.query(`BEGIN; SELECT rookery_assert_migration_lock(); INSERT INTO migration_events (version, event, actor, reason) VALUES ('20251231_000001', 'note', 'dba', '${reason}'); COMMIT;`);
      await guardedWrite(holder!, "holder");
      await expect(guardedWrite(other!, "other")).rejects.toMatchObject({ code: "RK001" });
      await other!.query("ROLLBACK");
      expect((await eventsOf(url, "20251231_000001")).map((event) => event.reason)).toEqual(["holder"]);
    });
  });

  it("rookery_record_applied refuses a transaction moved to another server process, and records nothing", async () => {
    await withClients(url, 2, async ([holder, other]) => {
      const [{ pid }] = (await holder!.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }];
      const record = "SELECT rookery_record_applied($1, '20251230_000001', 'moved', NULL, repeat('a', 64), '{}'::jsonb)";
      await other!.query("SELECT set_config('rookery.actor', 'cli:moved', false)");
      await expect(other!.query(record, [pid])).rejects.toMatchObject({ code: "RK001" });
      expect((await ledgerRows(url)).some((row) => row.version === "20251230_000001")).toBe(false);
      await holder!.query("SELECT set_config('rookery.actor', 'cli:holder', false)");
      await holder!.query(record, [pid]);
      expect((await ledgerRows(url)).find((row) => row.version === "20251230_000001")).toMatchObject({ status: "applied", applied_by: "cli:holder" });
      expect((await eventsOf(url, "20251230_000001")).map((event) => [event.event, event.actor])).toEqual([["applied", "cli:holder"]]);
    });
  });

  it("rookery_record_rolled_back refuses a transaction moved to another server process, and writes nothing", async () => {
    await query(url, "SELECT rookery_record_migration('20251229_000001', 'to undo', 'SELECT 1', repeat('a', 64), 'cli:holder', 'applied')");
    await withClients(url, 2, async ([holder, other]) => {
      const [{ pid }] = (await holder!.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }];
      const record = "SELECT rookery_record_rolled_back($1, '20251229_000001', 'cli:undoer', 'p95 doubled', NULL, '{}'::jsonb) AS id";
      await expect(other!.query(record, [pid])).rejects.toMatchObject({ code: "RK001" });
      expect((await ledgerRows(url)).find((row) => row.version === "20251229_000001")?.status).toBe("applied");
      expect(await eventsOf(url, "20251229_000001")).toEqual([]);
      const { rows } = await holder!.query<{ id: string }>(record, [pid]);
      expect(rows[0]?.id).not.toBeNull();
      expect((await ledgerRows(url)).find((row) => row.version === "20251229_000001")?.status).toBe("rolled_back");
      expect((await eventsOf(url, "20251229_000001")).map((event) => [event.event, event.actor, event.reason])).toEqual([["rolled_back", "cli:undoer", "p95 doubled"]]);
      const notices = await query<{ message: string }>(url, "SELECT message FROM system_notifications WHERE metadata->>'version' = '20251229_000001'");
      expect(notices).toEqual([{ message: "Migration 20251229_000001 rolled back: p95 doubled" }]);
    });
  });

  it("lets a read-only role read a ledger it may not upgrade", async () => {
    const role = `rookery_reader_${Date.now()}`;
    await query(url, `CREATE ROLE ${role} LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    try {
      await query(url, "CREATE OR REPLACE FUNCTION rookery_ledger_revision() RETURNS integer LANGUAGE sql AS 'SELECT 0'");
      const readerUrl = new URL(url);
      readerUrl.username = role;
      const status = await getStatus(testEnvironment(readerUrl.toString()), readCatalog(migrationsFolder({ "2025_11_01/001_widgets.sql": "SELECT 1;\n" })));
      expect(status.migrations.find((migration) => migration.version === "20251101_000001")?.state).toBe("applied");
    } finally {
      await query(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});
