import { describe, expect, it, onTestFinished } from "vitest";
import { createJobQueue, drillSchedulerId, healthPollSchedulerId, runDrill, startScheduler, startWorker } from "../src/queue/index.ts";
import { collectHealthProblems } from "../src/queue/health-problems.ts";
import { processDrillJob } from "../src/queue/process-drill.ts";
import { payloadFor } from "../src/queue/payloads.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { runContext } from "./support/engine.ts";
import { controlPool, queueTestConfig, quietLogger, recordingNotifier, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";
import { startThrowawayRedis } from "./support/throwaway.ts";

const FILES = {
  "2025_11_01/001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, amount integer);\n",
  "2025_11_01/rollback_001_create_orders.sql": "DROP TABLE orders;\n",
  "2025_11_01/002_order_status.sql":
    "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);\n",
  "2025_11_01/rollback_002_order_status.sql": "ALTER TABLE orders DROP COLUMN status;\n",
};
const DRILLS = [{ every: { everyMs: 3_600_000 }, environment: "production", maxMinutes: 2 }];

describe("scheduled rollback drills", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("drillq"), createTestDatabase("drillq-ctl")]);
  const migrationsDir = migrationsFolder(FILES);
  const pool = await controlPool(controlUrl);

  it("a drill job reports to the alert channel; a rollback that no longer proves is a WARNING until a drill proves it again", async () => {
    const config = { ...queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("drillq") }), drills: DRILLS };
    const environment = config.environments.production!;
    await applyMigrations(runContext(environment, migrationsDir));
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    const queue = createJobQueue(config.redisUrl, config.queuePrefix);
    onTestFinished(async () => {
      await worker.close();
      await queue.close();
    });

    await queue.add("drill", payloadFor("drill", { environment: "production" }));
    await waitUntil(async () => notifier.events.drills.length === 1, "the drill report", 40_000);
    const [report] = notifier.events.drills;
    expect(report!.counts).toEqual({ proven: 1, failed: 1, skipped: 0, notReached: 0 });
    expect(report!.versions[0]).toMatchObject({ version: "20251101_000002", outcome: "failed" });
    expect(report!.versions[0]!.differences.join()).toContain("orders_amount_positive");

    const warning = (await collectHealthProblems(config, pool, environment)).find((problem) => problem.key === "drill:20251101_000002");
    expect(warning).toMatchObject({ level: "WARNING", version: "20251101_000002", suggestedCommand: "rookery drill --env production" });
    expect(warning!.message).toContain("no longer proves");

    // A DBA fixes the stored rollback; `rookery drill` proves it again and the WARNING clears.
    await query(databaseUrl, "UPDATE schema_migrations SET rollback_script = $1 WHERE version = '20251101_000002'", [
      "ALTER TABLE orders DROP CONSTRAINT orders_amount_positive;\nALTER TABLE orders DROP COLUMN status;\n",
    ]);
    const cli = await rookery(["drill", "--env", "production", "--config", configFile({ production: { databaseUrl } })], { MIGRATIONS_DIR: migrationsDir, CONTROL_DATABASE_URL: controlUrl });
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/20251101_000002\s+proven/);
    expect(cli.stdout).toContain("rollback drill of production: proven 2, failed 0, skipped 0");
    expect((await collectHealthProblems(config, pool, environment)).some((problem) => problem.key.startsWith("drill:"))).toBe(false);
  });

  it("a drill job left in Redis after its drill was removed from the config drills nothing", async () => {
    const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: "unused" });
    const notifier = recordingNotifier();
    const result = await processDrillJob({ config, controlPool: pool, notifier, logger: quietLogger() }, payloadFor("drill", { environment: "production" }));
    expect(result).toEqual({ skipped: expect.stringContaining("no drill of production is configured any more") });
    expect(notifier.events.drills).toEqual([]);
  });

  it("rookery drill exits 1 naming what a rollback leaves behind", async () => {
    const url = await createTestDatabase("drillcli");
    const dir = migrationsFolder(FILES);
    await applyMigrations(runContext(queueTestConfig({ databaseUrl: url, controlUrl, migrationsDir: dir, queuePrefix: "unused" }).environments.production!, dir));
    const run = await rookery(["drill", "--env", "production", "--json", "--config", configFile({ production: { databaseUrl: url } })], { MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: controlUrl });
    expect(run.code).toBe(1);
    const output = JSON.parse(run.stdout);
    expect(output).toMatchObject({ ok: false, counts: { proven: 1, failed: 1 } });
    expect(output.versions[0].differences[0]).toMatch(/^constraint orders\.orders_amount_positive remains after rollback/);
  });

  it("a drill that cannot run says so in the alert channel, and the job fails", async () => {
    const config = queueTestConfig({ databaseUrl: "postgres://postgres@127.0.0.1:1/nowhere", controlUrl, migrationsDir, queuePrefix: "unused" });
    const notifier = recordingNotifier();
    await expect(runDrill({ config, controlPool: pool, notifier, logger: quietLogger() }, "production")).rejects.toThrow(/cannot connect to the database/);
    expect(notifier.events.alerts).toMatchObject([{ key: "drill-failed:production", level: "WARNING" }]);
    expect(notifier.events.alerts[0]!.message).toMatch(/^the rollback drill of production could not run: cannot connect/);
  });

  it("the drill's schedule comes back after Redis restarts empty", async () => {
    const redis = await startThrowawayRedis();
    // Started inside the test, where the helper's afterAll is never registered: stopped here.
    onTestFinished(() => redis.stop());
    const config = { ...queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("drills"), redisUrl: redis.url }), drills: DRILLS };
    const scheduler = await startScheduler(config, { logger: quietLogger(), reassertEverySeconds: 1 });
    onTestFinished(() => scheduler.close());
    expect(scheduler.schedulerIds).toEqual([healthPollSchedulerId("production"), drillSchedulerId("production")]);
    const queue = createJobQueue(redis.url, config.queuePrefix);
    onTestFinished(() => queue.close());
    const drillScheduler = async () => (await queue.getJobSchedulers().catch(() => [])).find((entry) => entry.key === "drill:production");
    expect(await drillScheduler()).toMatchObject({ key: "drill:production", name: "drill", every: 3_600_000 });

    await redis.restartEmpty();
    await waitUntil(async () => (await drillScheduler()) !== undefined, "the drill scheduler back in Redis", 15_000);
    expect(await drillScheduler()).toMatchObject({ every: 3_600_000 });
    expect(await scheduler.missing()).toEqual([]);
  }, 30_000);
});
