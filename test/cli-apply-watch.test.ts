import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { startWorker } from "../src/queue/index.ts";
import { queueTestConfig, quietLogger, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, redisUrl, testQueuePrefix } from "./support/services.ts";

const FILES = {
  "2025_11_01/001_create_failed_jobs.sql": "CREATE TABLE failed_jobs (id bigserial PRIMARY KEY, failed_at timestamptz NOT NULL DEFAULT now());\n",
  "2025_11_01/rollback_001_create_failed_jobs.sql": "DROP TABLE failed_jobs;\n",
  "2025_11_01/002_create_carts.sql": "CREATE TABLE carts (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_002_create_carts.sql": "DROP TABLE carts;\n",
};

const NO_FAILED_JOBS =
  "SELECT count(*) = 0, count(*) || ' failed since the apply' FROM failed_jobs WHERE failed_at > current_setting('rookery.watch_started_at')::timestamptz";

function autoRollbackConfig(url: string, watchMinutes = 0.05) {
  return configFile({
    production: { databaseUrl: url, autoRollback: { watchMinutes, interval: "200ms", checks: { no_failed_jobs: NO_FAILED_JOBS } } },
  });
}

describe("rookery apply in an environment with autoRollback", () => {
  it("--watch rolls back when a check fails inside the window and exits 1 naming the check and its value", async () => {
    const url = await createTestDatabase("cliwatch");
    const dir = migrationsFolder(FILES);
    const running = rookery(["apply", "--all", "--watch", "--config", autoRollbackConfig(url)], { MIGRATIONS_DIR: dir });
    // The application starts failing jobs a moment after the apply.
    await waitUntil(async () => {
      const rows = await query(url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'schema_migrations'");
      return rows[0]!.n === 1 && (await query(url, "SELECT count(*)::int AS n FROM schema_migrations WHERE status = 'applied'"))[0]!.n === 2;
    }, "the apply", 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await query(url, "INSERT INTO failed_jobs DEFAULT VALUES");
    const run = await running;

    expect(run.code).toBe(1);
    expect(run.stdout).toContain("rolled back automatically (20251101_000002, 20251101_000001): no_failed_jobs = 1 failed since the apply");
    expect(run.stderr).toMatch(/watching production for 3s, every 200ms: verify 20251101_000002, verify 20251101_000001, no_failed_jobs/);
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["rolled_back", "rolled_back"]);
    expect((await eventsOf(url, "20251101_000001")).map((event) => event.event)).toEqual(["applied", "rolled_back", "auto_rolled_back"]);
  });

  it("--watch exits 0 once the window passed clean, with the watch in the JSON", async () => {
    const url = await createTestDatabase("cliwatchok");
    const dir = migrationsFolder(FILES);
    const run = await rookery(["apply", "--all", "--watch", "--json", "--config", autoRollbackConfig(url, 0.01)], { MIGRATIONS_DIR: dir });
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout);
    expect(output).toMatchObject({ ok: true, watch: { status: "kept", errors: [] } });
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied"]);
  });

  it("without --watch (and no queue to hand it to) it refuses before applying anything", async () => {
    const url = await createTestDatabase("clinowatch");
    const dir = migrationsFolder(FILES);
    const run = await rookery(["apply", "--all", "--config", autoRollbackConfig(url)], { MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/production rolls back automatically .* would skip that watch/);
    expect(run.stderr).toContain("--watch");
    expect(await query(url, "SELECT to_regclass('public.schema_migrations') IS NULL OR NOT EXISTS (SELECT FROM pg_tables WHERE tablename = 'failed_jobs') AS nothing")).toEqual([{ nothing: true }]);
  });

  it("without --watch and with REDIS_URL set, hands the watch to the queue, where a worker rolls back", async () => {
    const url = await createTestDatabase("clihand");
    const controlUrl = await createTestDatabase("clihandctl");
    const dir = migrationsFolder(FILES);
    const prefix = testQueuePrefix("clihand");
    const env = { MIGRATIONS_DIR: dir, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, CONTROL_DATABASE_URL: controlUrl };
    const run = await rookery(["apply", "--all", "--config", autoRollbackConfig(url, 0.2)], env);
    expect(run.stderr).not.toMatch(/rookery:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/the watch is handed to the queue \(rookery-test-clihand-[0-9a-f]+\): 12s, every 200ms, checks verify 20251101_000002, verify 20251101_000001, no_failed_jobs/);
    const [watch] = await query<{ id: string; request_id: string | null; actor: string; status: string }>(controlUrl, "SELECT id, request_id, actor, status FROM rookery_control.watches");
    expect(watch).toMatchObject({ request_id: null, actor: "cli:tester", status: "watching" });

    const config = queueTestConfig({ databaseUrl: url, controlUrl, migrationsDir: dir, queuePrefix: prefix });
    const worker = await startWorker(config, { logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      await query(url, "INSERT INTO failed_jobs DEFAULT VALUES");
      await waitUntil(async () => (await query(controlUrl, "SELECT status FROM rookery_control.watches"))[0]!.status === "rolled_back", "the worker's rollback", 20_000);
    } finally {
      await worker.close();
    }
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["rolled_back", "rolled_back"]);
  });

  it("without --watch and with a Redis that does not answer, refuses before applying", async () => {
    const url = await createTestDatabase("clihanddown");
    const run = await rookery(["apply", "--all", "--config", autoRollbackConfig(url)], { MIGRATIONS_DIR: migrationsFolder(FILES), REDIS_URL: "redis://127.0.0.1:1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the queue that would run the watch does not answer .*nothing was applied/);
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'failed_jobs'")).toEqual([{ n: 0 }]);
  });

  it("refuses a migration without a rollback file before it runs, naming the file", async () => {
    const url = await createTestDatabase("clinorb");
    const dir = migrationsFolder({ ...FILES, "2025_11_02/001_no_way_back.sql": "CREATE TABLE no_way_back (id bigint);\n" });
    const run = await rookery(["apply", "20251102_000001", "--watch", "--config", autoRollbackConfig(url)], { MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2025_11_02/001_no_way_back.sql has no rollback file beside it");
    expect(await query(url, "SELECT to_regclass('public.no_way_back') AS present")).toEqual([{ present: null }]);
  });

  it("--watch where nothing is watched is a usage error", async () => {
    const url = await createTestDatabase("cliwatchnone");
    const run = await rookery(["apply", "--all", "--watch"], { DATABASE_URL: url, MIGRATIONS_DIR: migrationsFolder(FILES) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("has no autoRollback configured");
  });
});
