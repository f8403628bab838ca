import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, startScheduler, startWorker } from "../src/queue/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { runContext } from "./support/engine.ts";
import { queueTestConfig, quietLogger, recordingNotifier, waitUntil } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";

describe("the health-poll scheduler", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("sched-target"), createTestDatabase("sched-control")]);
  const migrationsDir = migrationsFolder({ "2025_11_01/001_broken.sql": "ALTER TABLE missing_table ADD COLUMN x int;\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("sched"), environment: { healthPollSeconds: 5 } });
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  afterAll(() => queue.close());

  it("keeps one scheduler per environment, and its polls post a failed migration once", async () => {
    await applyMigrations(runContext(config.environments.production!, migrationsDir));
    const notifier = recordingNotifier();
    // Two processes starting at once upsert the same scheduler: still one.
    const schedulers = await Promise.all([startScheduler(config, { logger: quietLogger() }), startScheduler(config, { logger: quietLogger() })]);
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      const kept = await queue.getJobSchedulers();
      expect(kept.map((scheduler) => [scheduler.key, scheduler.every])).toEqual([["health-poll:production", 5000]]);
      await waitUntil(async () => (await queue.getJobCountByTypes("completed")) >= 2, "two scheduled polls", 30_000);
      expect(notifier.events.alerts.map((alert) => [alert.state, alert.level, alert.version])).toEqual([["new", "CRITICAL", "20251101_000001"]]);
    } finally {
      await worker.close();
      await Promise.all(schedulers.map((scheduler) => scheduler.close()));
    }
  });

  it("removes the scheduler of an environment no longer configured", async () => {
    const renamed = { ...config, environments: { staging: { ...config.environments.production!, name: "staging" } } };
    const scheduler = await startScheduler(renamed, { logger: quietLogger() });
    await scheduler.close();
    expect((await queue.getJobSchedulers()).map((kept) => kept.key)).toEqual(["health-poll:staging"]);
  });
});
