import { describe, expect, it, onTestFinished } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { beginWatch, createJobQueue, startWorker } from "../src/queue/index.ts";
import { createWatch, getWatch, type WatchRecord } from "../src/requests/index.ts";
import { applyMigrations, planWatch, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext } from "./support/engine.ts";
import { controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForWatch } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

const FILES = {
  "2025_11_01/001_create_parcels.sql": "CREATE TABLE parcels (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_create_parcels.sql": "DROP TABLE parcels;\n",
  "2025_11_01/002_add_parcel_weight.sql": "ALTER TABLE parcels ADD COLUMN weight integer;\n",
  "2025_11_01/rollback_002_add_parcel_weight.sql": "ALTER TABLE parcels DROP COLUMN weight;\n",
};

describe("the queued watch when things go wrong", async () => {
  const controlUrl = await createTestDatabase("arqf-control");
  const pool = await controlPool(controlUrl);
  const migrationsDir = migrationsFolder(FILES);

  async function setUp(label: string, autoRollback: Record<string, unknown>) {
    const databaseUrl = await createTestDatabase(label);
    const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix(label), environment: { autoRollback } });
    const environment = config.environments.production!;
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    const queue = createJobQueue(config.redisUrl, config.queuePrefix);
    onTestFinished(async () => {
      await worker.close();
      await queue.close();
    });
    await applyMigrations(runContext(environment, migrationsDir));
    const plan = planWatch(environment, readCatalog(migrationsDir).migrations)!;
    return { databaseUrl, environment, notifier, worker, queue, plan };
  }

  const ended = (id: string): Promise<WatchRecord> =>
    waitForWatch(() => getWatch(pool, id), (watch) => !["watching", "rolling_back"].includes(watch.status), "the watch to end", 20_000);

  it("a check with bad SQL (onCheckError: alert) is reported once, in the alert channel, and the window ends unverified", async () => {
    const { notifier, queue, plan } = await setUp("arqf-bad", { watchMinutes: 0.03, interval: "200ms", onCheckError: "alert", checks: { typo: "SELEC true" } });
    const watch = await beginWatch({ controlPool: pool, queue, logger: quietLogger() }, { requestId: null, actor: "cli:tester", plan });
    const done = await ended(watch.id);
    expect(done.status).toBe("kept");
    expect(done.outcome).toMatchObject({ status: "kept", errors: [{ name: "typo", status: "error" }] });
    expect(done.rounds).toBeGreaterThanOrEqual(3);
    const alerts = notifier.events.alerts.filter((alert) => alert.key === `watch:${watch.id}`);
    expect(alerts.map((alert) => alert.level)).toEqual(["WARNING", "WARNING"]);
    expect(alerts[0]!.message).toMatch(/has a check that does not run, so it never passes: typo: syntax error at or near "SELEC"/);
    expect(alerts[1]!.message).toContain("watch ended UNVERIFIED: the change stays, but typo errored: syntax error");
    expect(notifier.events.watch.filter(({ news }) => news.kind === "check_errored")).toHaveLength(1);
  });

  it("a worker that died halfway through the rollback: the next run rolls back what is still applied, once", async () => {
    const { databaseUrl, environment, worker, plan } = await setUp("arqf-half", { watchMinutes: 1, interval: "30s" });
    const watch = await createWatch(pool, { requestId: null, actor: "cli:tester", plan });
    // What a worker killed after the first of two rollbacks leaves: 002 rolled back, the watch marked rolling_back.
    const failing = { name: "no_failed_jobs", source: "environment", status: "fail", value: "3 failed since the apply" };
    await query(controlUrl, "UPDATE rookery_control.watches SET status = 'rolling_back', failing = $2 WHERE id = $1", [watch.id, JSON.stringify(failing)]);
    await rollbackMigration(runContext(environment, migrationsDir, "cli:tester"), { version: "20251101_000002", reason: "automatic rollback: no_failed_jobs = 3 failed since the apply", trigger: failing });

    await worker.reconcile();
    const done = await ended(watch.id);
    expect(done.outcome).toMatchObject({ status: "rolled_back", rolledBack: ["20251101_000002", "20251101_000001"], failing });
    expect((await ledgerRows(databaseUrl)).map((row) => row.status)).toEqual(["rolled_back", "rolled_back"]);
    expect((await eventsOf(databaseUrl, "20251101_000002")).filter((event) => event.event === "rolled_back")).toHaveLength(1);
    expect((await eventsOf(databaseUrl, "20251101_000001")).filter((event) => event.event === "auto_rolled_back")).toHaveLength(1);
  });
});
