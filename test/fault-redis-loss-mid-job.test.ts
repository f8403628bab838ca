import { describe, expect, it, onTestFinished } from "vitest";
import { createJobQueue, reconcileJobs, startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";
import { startThrowawayRedis } from "./support/throwaway.ts";

describe("Redis loses its data while a job runs", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fault-midjob"), createTestDatabase("fault-midjob-ctl")]);
  const redis = await startThrowawayRedis();
  const migrationsDir = migrationsFolder({ "2025_11_01/001_slow_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\nSELECT pg_sleep(2);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("midjob"), redisUrl: redis.url });
  const pool = await controlPool(controlUrl);

  it("the reconciler does not send again a request a live worker is running; it finishes once, told once", async () => {
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    onTestFinished(() => worker.close());
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    await worker.reconcile();
    await waitUntil(
      async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()")).length > 0,
      "the migration to run",
      15_000,
    );

    await redis.restartEmpty();
    const queue = createJobQueue(redis.url, config.queuePrefix);
    onTestFinished(() => queue.close());
    await waitUntil(async () => (await queue.getJob(request.id).then(() => true, () => false)), "Redis to answer", 10_000);
    // The round that used to put the running request back on the queue (a second attempt, a second "succeeded").
    expect(await reconcileJobs({ controlPool: pool, queue, logger: quietLogger() })).toEqual([]);

    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 20_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await queue.getJob(request.id)).toBeUndefined();
    expect(notifier.events.started).toEqual([request.id]);
    expect(notifier.events.finished.map(({ request: told, outcome }) => [told.status, outcome.status])).toEqual([["succeeded", "succeeded"]]);
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
  });
});
