import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, rollbackMigrations, TransactionPoolingError } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

const hasPgBouncer = spawnSync("pgbouncer", ["--version"]).status === 0;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pgbouncer did not listen on ${port}`);
}

/** Two transactions at once make the pool open its second server connection; from then on they alternate. */
async function openBothServerConnections(url: string): Promise<void> {
  const clients = [new pg.Client(url), new pg.Client(url)];
  for (const client of clients) await client.connect();
  for (const client of clients) await client.query("BEGIN; SELECT 1");
  for (const client of clients) await client.query("COMMIT");
  for (const client of clients) await client.end();
}

/**
 * A real PgBouncer in front of the test database: `txpool` in transaction mode (two server
 * connections, handed out in turn, as under load), `sessionpool` in session mode. It refuses a
 * startup parameter it does not know (`options`) unless told to ignore it (`ignoreOptions`), and then
 * it drops it.
 */
async function startPgBouncer(databaseUrl: string, ignoreOptions = false): Promise<{ port: number; process: ChildProcess }> {
  const target = new URL(databaseUrl);
  const dir = mkdtempSync(path.join(os.tmpdir(), "rookery-pgbouncer-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = `host=${target.hostname} port=${target.port || 5432} dbname=${target.pathname.slice(1)} user=${target.username || "postgres"}`;
  writeFileSync(path.join(dir, "users.txt"), `"${target.username || "postgres"}" ""\n`);
  writeFileSync(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `txpool = ${server} pool_mode=transaction pool_size=2`,
      `sessionpool = ${server} pool_mode=session`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "users.txt")}`,
      "server_round_robin = 1",
      `ignore_startup_parameters = application_name,extra_float_digits${ignoreOptions ? ",options" : ""}`,
      "",
    ].join("\n"),
  );
  // PgBouncer refuses to run as root; -u drops to the postgres user when the tests run as root.
  const asRoot = process.getuid?.() === 0 ? ["-u", "postgres"] : [];
  const child = spawn("pgbouncer", [...asRoot, path.join(dir, "pgbouncer.ini")], { stdio: "ignore" });
  afterAll(async () => {
    // Gone before the database is dropped: a live pooler reconnects and the drop fails.
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => (child.once("exit", resolve), child.kill()));
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(port);
  return { port, process: child };
}

describe.skipIf(!hasPgBouncer)("behind PgBouncer", async () => {
  // A skipped suite's body still runs while the file is collected, but no hook of the file runs: no database then.
  const url = hasPgBouncer ? await createTestDatabase("engine-pgbouncer") : "";
  const { port } = hasPgBouncer ? await startPgBouncer(url) : { port: 0 };
  const viaPool = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const dir = migrationsFolder({ "2025_11_01/001_create_pets.sql": "CREATE TABLE pets (id bigint PRIMARY KEY);\n" });

  it("refuses a transaction-pooling PgBouncer, where the session lock would not hold, applying nothing", async () => {
    await openBothServerConnections(viaPool("txpool"));
    const error = await applyMigrations(runContext(testEnvironment(viaPool("txpool")), dir)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionPoolingError);
    expect((error as Error).message).toContain("transaction-pooling PgBouncer");
    expect(await query(url, "SELECT 1 FROM schema_migrations")).toEqual([]);
    expect(await query(url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'pets'")).toEqual([]);
  });

  it("works through a session-mode pool, the refused run having left no lock behind, the actor recorded though the pool refuses it in the startup packet", async () => {
    const report = await applyMigrations(runContext(testEnvironment(viaPool("sessionpool"), { advisoryLockWait: 5000 }), dir, POOLED_ACTOR));
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000001"]);
    expect(await query(url, "SELECT applied_by FROM schema_migrations")).toEqual([{ applied_by: POOLED_ACTOR }]);
  });

  it("a concurrent build through a session-mode pool, longer than the liveness watchdog's interval and grace, is not cut off", async () => {
    // The pool's own key is no server pid: the watchdog must look up the session's pg_backend_pid().
    await query(
      url,
      `CREATE FUNCTION slow_key(n int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN n; END $$;
       CREATE TABLE widgets AS SELECT g AS id FROM generate_series(1, 20) AS g;`,
    );
    const build = migrationsFolder({
      "2025_11_01/001_create_pets.sql": "CREATE TABLE pets (id bigint PRIMARY KEY);\n",
      "2025_11_01/002_index_widgets.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS widgets_slow_key ON widgets (slow_key(id));\n",
    });
    const settings = { advisoryLockWait: 5000, queryDeadlineGrace: "1s", queryLivenessInterval: "300ms" };
    const report = await applyMigrations(runContext(testEnvironment(viaPool("sessionpool"), settings), build));
    expect(report.failed).toBeUndefined();
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000002"]);
  });
});

/** An actor that must arrive whole by the fallback too: quotes, a backslash, spaces, a newline. */
const POOLED_ACTOR = "slack:UPOOL 'o''brien' back\\slash  two\nlines -- $$";

describe.skipIf(!hasPgBouncer)("behind a PgBouncer that drops the startup options without a word", async () => {
  const url = hasPgBouncer ? await createTestDatabase("engine-pgbouncer-drop") : "";
  const { port } = hasPgBouncer ? await startPgBouncer(url, true) : { port: 0 };
  const environment = testEnvironment(`postgres://postgres@127.0.0.1:${port}/sessionpool`, { advisoryLockWait: 5000 });
  const dir = migrationsFolder({
    "2025_11_01/001_create_pets.sql": "CREATE TABLE pets (id bigint PRIMARY KEY);\nSET search_path = pg_catalog;\n",
    "2025_11_01/rollback_001_create_pets.sql": "DROP TABLE public.pets;\n",
    "2025_11_01/002_add_name.sql": "ALTER TABLE pets ADD COLUMN name text;\n",
    "2025_11_01/rollback_002_add_name.sql": "ALTER TABLE pets DROP COLUMN name;\n",
  });

  it("binds the actor after every session reset: each migration and rollback records it", async () => {
    const report = await applyMigrations(runContext(environment, dir, POOLED_ACTOR));
    expect(report.failed).toBeUndefined();
    const rollback = await rollbackMigrations(runContext(environment, dir, POOLED_ACTOR), { last: 2, reason: "pooled undo" });
    expect(rollback.rolledBack.map((step) => step.version)).toEqual(["20251101_000002", "20251101_000001"]);
    expect(await query(url, "SELECT version, status, applied_by FROM schema_migrations ORDER BY version")).toEqual([
      { version: "20251101_000001", status: "rolled_back", applied_by: POOLED_ACTOR },
      { version: "20251101_000002", status: "rolled_back", applied_by: POOLED_ACTOR },
    ]);
    const events = await query<{ version: string; event: string; actor: string }>(url, "SELECT version, event, actor FROM migration_events ORDER BY id");
    expect(events.map((event) => [event.version, event.event, event.actor])).toEqual([
      ["20251101_000001", "applied", POOLED_ACTOR],
      ["20251101_000002", "applied", POOLED_ACTOR],
      ["20251101_000002", "rolled_back", POOLED_ACTOR],
      ["20251101_000001", "rolled_back", POOLED_ACTOR],
    ]);
  });
});
