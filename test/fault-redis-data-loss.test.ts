import type { Server } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import { opsRoutes, serveOpsRoutes } from "../src/ops/index.ts";
import { createJobQueue, healthPollSchedulerId, startScheduler, startWorker } from "../src/queue/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { runContext } from "./support/engine.ts";
import { controlPool, queueTestConfig, quietLogger, recordingNotifier, waitUntil } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";
import { startThrowawayRedis } from "./support/throwaway.ts";

describe("Redis restarts empty under a running scheduler", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fault-redisloss"), createTestDatabase("fault-redisloss-ctl")]);
  const redis = await startThrowawayRedis();
  const migrationsDir = migrationsFolder({ "2025_11_01/001_add_age.sql": "ALTER TABLE persons ADD COLUMN age int;\n" });
  const config = queueTestConfig({
    databaseUrl,
    controlUrl,
    migrationsDir,
    queuePrefix: testQueuePrefix("redisloss"),
    redisUrl: redis.url,
    environment: { healthPollSeconds: 5 },
  });
  await controlPool(controlUrl);

  it("re-creates its health-poll schedulers, so a failed migration still raises a CRITICAL", async () => {
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    const scheduler = await startScheduler(config, { logger: quietLogger(), reassertEverySeconds: 1 });
    onTestFinished(async () => {
      // Under load a poll can still be running against the restarted Redis; close as SIGTERM does, within a grace.
      const closed = Promise.all([scheduler.close(), worker.close()]).then(() => true);
      if (!(await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]))) {
        scheduler.abandon();
        worker.abandon();
      }
    });

    await redis.restartEmpty();
    const failed = await applyMigrations(runContext(config.environments.production!, migrationsDir));
    expect(failed.failed?.version).toBe("20251101_000001");

    await waitUntil(async () => notifier.events.alerts.some((alert) => alert.level === "CRITICAL"), "a CRITICAL after the restart", 30_000);
    expect(notifier.events.alerts.find((alert) => alert.level === "CRITICAL")?.key).toBe("migration_health:20251101_000001:failed");
    // Read once the producer's connection is writable again (it fails fast while reconnecting).
    await waitUntil(async () => (await scheduler.missing().catch(() => ["unknown"])).length === 0, "the scheduler in Redis", 10_000);
  }, 40_000);

  it("/healthz answers 503 naming the scheduler while Redis does not hold it, 200 once it is back", async () => {
    const scheduler = await startScheduler(config, { logger: quietLogger(), reassertEverySeconds: 0 });
    const ops = opsRoutes(config, undefined, () => scheduler);
    const server: Server = await serveOpsRoutes(ops.routes, 0, "127.0.0.1");
    onTestFinished(async () => {
      server.close();
      await ops.close();
      await scheduler.close();
    });
    const address = server.address();
    const healthz = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/healthz`;
    expect((await fetch(healthz)).status).toBe(200);

    // What a restart without persistence leaves: the scheduler's keys gone.
    const queue = createJobQueue(redis.url, config.queuePrefix);
    await queue.removeJobScheduler(healthPollSchedulerId("production"));
    await queue.close();
    const down = await fetch(healthz);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { down: string[]; checks: { name: string; error?: string }[] };
    expect(body.down).toEqual(["scheduler"]);
    expect(body.checks.find((check) => check.name === "scheduler")?.error).toContain("health-poll:production missing from Redis");

    await scheduler.ensure();
    expect((await fetch(healthz)).status).toBe(200);
  });
});
