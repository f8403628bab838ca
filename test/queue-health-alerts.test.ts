import { describe, expect, it } from "vitest";
import { postAlerts } from "../src/queue/alerts.ts";
import { collectHealthProblems } from "../src/queue/health-problems.ts";
import { startWorker } from "../src/queue/index.ts";
import { processHealthPollJob } from "../src/queue/process-checks.ts";
import { createRequest } from "../src/requests/index.ts";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations, getHealth, getStatus, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder, rookery, writeMigration } from "./support/cli.ts";
import { runContext } from "./support/engine.ts";
import { controlPool, queueTestConfig, quietLogger, recordingNotifier, requestInput, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("health alerts: posted once per change of state", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("alerts-target"), createTestDatabase("alerts-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_people.sql": "CREATE TABLE people (id bigint PRIMARY KEY, name text);\n",
    "2025_11_01/002_add_age.sql": "ALTER TABLE persons ADD COLUMN age int;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("alerts"), environment: { alertRepeatHours: 4 } });
  const environment = config.environments.production!;
  const pool = await controlPool(controlUrl);
  const notifier = recordingNotifier();
  const deps = { config, controlPool: pool, notifier, logger: quietLogger() };
  const poll = () => processHealthPollJob(deps, { environment: "production" });
  const posted = () => notifier.events.alerts.map((alert) => [alert.state, alert.level, alert.key]);
  const openNotifications = () =>
    query(databaseUrl, "SELECT severity, dedupe_key FROM system_notifications WHERE resolved_at IS NULL ORDER BY id");

  it("posts a failed migration as one CRITICAL alert however many polls see it", async () => {
    await applyMigrations(runContext(environment, migrationsDir), { versions: ["20251101_000001"] });
    const failed = await applyMigrations(runContext(environment, migrationsDir), { versions: ["20251101_000002"] });
    expect(failed.failed?.version).toBe("20251101_000002");

    await poll();
    await poll();
    await poll();
    expect(posted()).toEqual([["new", "CRITICAL", "migration_health:20251101_000002:failed"]]);
    const [alert] = notifier.events.alerts;
    expect(alert?.message).toMatch(/20251101_000002.*failed/);
    expect(alert?.suggestedCommand).toContain("production");
    // The ledger's own record agrees: one open notification, however many polls ran.
    expect(await openNotifications()).toEqual([{ severity: "critical", dedupe_key: "migration_health:20251101_000002:failed" }]);
  });

  it("re-posts a CRITICAL still unresolved after alertRepeatHours, and not before", async () => {
    const problems = await collectHealthProblems(config, pool, environment);
    const in3Hours = await postAlerts(pool, notifier, quietLogger(), environment, problems, new Date(Date.now() + 3 * 3_600_000));
    expect(in3Hours).toEqual([]);
    const in5Hours = await postAlerts(pool, notifier, quietLogger(), environment, problems, new Date(Date.now() + 5 * 3_600_000));
    expect(in5Hours.map((alert) => [alert.state, alert.key])).toEqual([["repeat", "migration_health:20251101_000002:failed"]]);
    notifier.events.alerts.length = 0;
  });

  it("posts the failure as resolved once the fixed file is applied", async () => {
    writeMigration(migrationsDir, "2025_11_01/002_add_age.sql", "ALTER TABLE people ADD COLUMN age int;\n");
    const fixed = await applyMigrations(runContext(environment, migrationsDir), { versions: ["20251101_000002"] });
    expect(fixed.failed).toBeUndefined();
    await poll();
    await poll();
    expect(posted()).toEqual([["resolved", "CRITICAL", "migration_health:20251101_000002:failed"]]);
    expect(await openNotifications()).toEqual([]);
    notifier.events.alerts.length = 0;
  });

  it("posts checksum drift when an applied file changes, and resolved when it is restored", async () => {
    writeMigration(migrationsDir, "2025_11_01/001_create_people.sql", "CREATE TABLE people (id bigint PRIMARY KEY, name text, email text);\n");
    await poll();
    await poll();
    expect(posted()).toEqual([["new", "WARNING", "drift:20251101_000001"]]);
    writeMigration(migrationsDir, "2025_11_01/001_create_people.sql", "CREATE TABLE people (id bigint PRIMARY KEY, name text);\n");
    await poll();
    expect(posted()).toEqual([
      ["new", "WARNING", "drift:20251101_000001"],
      ["resolved", "WARNING", "drift:20251101_000001"],
    ]);
    notifier.events.alerts.length = 0;
  });

  it("posts an INVALID index left by a failed concurrent build, and resolved once it is dropped", async () => {
    await query(databaseUrl, "CREATE TABLE emails (address text); INSERT INTO emails VALUES ('a@example.com'), ('a@example.com')");
    await expect(query(databaseUrl, "CREATE UNIQUE INDEX CONCURRENTLY emails_address_key ON emails (address)")).rejects.toThrow(/could not create unique index/);
    await poll();
    await poll();
    expect(posted()).toEqual([["new", "CRITICAL", "invalid-index:public.emails_address_key"]]);
    await query(databaseUrl, "DROP INDEX emails_address_key");
    await poll();
    expect(posted()).toEqual([
      ["new", "CRITICAL", "invalid-index:public.emails_address_key"],
      ["resolved", "CRITICAL", "invalid-index:public.emails_address_key"],
    ]);
  });

  it("posts again next poll when the notifier failed (Slack down): nothing is forgotten", async () => {
    notifier.events.alerts.length = 0;
    await query(databaseUrl, "CREATE UNIQUE INDEX CONCURRENTLY emails_address_key2 ON emails (address)").catch(() => {});
    const failing = { ...notifier, alert: async () => Promise.reject(new Error("slack unreachable")) };
    await processHealthPollJob({ ...deps, notifier: failing }, { environment: "production" });
    await poll();
    expect(posted()).toEqual([["new", "CRITICAL", "invalid-index:public.emails_address_key2"]]);
  });

  it("posts a failed job (file changed after approval) until its version is applied", async () => {
    notifier.events.alerts.length = 0;
    writeMigration(migrationsDir, "2025_11_01/003_add_index.sql", "CREATE INDEX people_name_idx ON people (name);\n");
    const request = await createRequest(
      pool,
      requestInput({ versions: ["20251101_000003"], checksums: { "20251101_000003": "c".repeat(64) }, approvalsRequired: 0 }),
    );
    const worker = await startWorker(config, { logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      const failed = await waitForRequest(pool, request.id, ["failed", "succeeded"]);
      expect(failed.error).toMatch(/changed since it was approved/);
    } finally {
      await worker.close();
    }
    await poll();
    await poll();
    expect(posted()).toEqual([["new", "WARNING", `failed-job:${request.id}`]]);
    await applyMigrations(runContext(environment, migrationsDir), { versions: ["20251101_000003"] });
    await poll();
    expect(posted()).toEqual([
      ["new", "WARNING", `failed-job:${request.id}`],
      ["resolved", "WARNING", `failed-job:${request.id}`],
    ]);
  });
});

describe("a failed rollback", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("rbfail-target"), createTestDatabase("rbfail-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_people.sql": "CREATE TABLE people (id bigint PRIMARY KEY, name text);\nCREATE VIEW people_names AS SELECT name FROM people;\n",
    "2025_11_01/rollback_001_create_people.sql": "ALTER TABLE people DROP COLUMN name;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("rbfail") });
  const environment = config.environments.production!;
  const pool = await controlPool(controlUrl);
  const notifier = recordingNotifier();
  const poll = () => processHealthPollJob({ config, controlPool: pool, notifier, logger: quietLogger() }, { environment: "production" });

  it("is a CRITICAL in health, status and alerts, not 'OK NEWLY_APPLIED'", async () => {
    await applyMigrations(runContext(environment, migrationsDir));
    await expect(rollbackMigration(runContext(environment, migrationsDir), { version: "20251101_000001", reason: "names are personal data" })).rejects.toThrow(
      /the rollback of 20251101_000001 failed/,
    );

    const [health] = await getHealth(environment);
    expect(health).toMatchObject({ version: "20251101_000001", status: "applied", healthStatus: "ROLLBACK_FAILED", alertLevel: "CRITICAL" });

    const status = await getStatus(environment, readCatalog(migrationsDir));
    expect(status.counts).toMatchObject({ applied: 1, rollbackFailed: 1 });
    expect(status.migrations[0]).toMatchObject({ state: "applied", rollbackFailed: true });
    const cli = await rookery(["status"], { DATABASE_URL: databaseUrl, MIGRATIONS_DIR: migrationsDir });
    expect(cli.stdout).toContain("ROLLBACK FAILED 1 (CRITICAL)");
    expect(cli.stdout).toMatch(/20251101_000001\s+applied \(rollback FAILED\)/);

    await poll();
    expect(notifier.events.alerts.map((alert) => [alert.state, alert.level, alert.key])).toEqual([["new", "CRITICAL", "migration_health:20251101_000001:applied"]]);
    expect(notifier.events.alerts[0]?.message).toMatch(/the rollback of migration 20251101_000001 .* failed: it is still applied/);
  });

  it("clears once the rollback succeeds", async () => {
    writeMigration(migrationsDir, "2025_11_01/rollback_001_create_people.sql", "DROP VIEW IF EXISTS people_names;\nDROP TABLE IF EXISTS people;\n");
    await query(databaseUrl, "UPDATE schema_migrations SET rollback_script = $1 WHERE version = '20251101_000001'", [
      "DROP VIEW IF EXISTS people_names;\nDROP TABLE IF EXISTS people;\n",
    ]);
    await rollbackMigration(runContext(environment, migrationsDir), { version: "20251101_000001", reason: "names are personal data" });
    expect((await getHealth(environment))[0]).toMatchObject({ healthStatus: "ROLLED_BACK", alertLevel: "WARNING" });
    expect((await getStatus(environment, readCatalog(migrationsDir))).counts.rollbackFailed).toBe(0);
  });
});
