import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, enqueueVerify, startWorker } from "../src/queue/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { QueueEvents } from "bullmq";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("rollback and verify jobs", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("rb-target"), createTestDatabase("rb-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_labels.sql": "CREATE TABLE labels (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_create_labels.sql": "DROP TABLE labels;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("rb") });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  const notifier = recordingNotifier();
  const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
  afterAll(async () => {
    await worker.close();
    await queue.close();
  });

  it("rolls back with the request's reason, quotes and all, recorded in the ledger", async () => {
    await applyMigrations(runContext(config.environments.production!, migrationsDir));
    const reason = `customer's "export" broke; O'Brien said ROLLBACK; --`;
    const request = await approvedRequest(pool, config, ["20251101_000001"], { kind: "rollback", reason });
    await worker.reconcile();
    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "rolled_back"]]);
    expect((await query(databaseUrl, "SELECT to_regclass('public.labels') AS t"))[0]?.t).toBeNull();
    const rolledBack = (await eventsOf(databaseUrl, "20251101_000001")).find((event) => event.event === "rolled_back");
    expect(rolledBack).toMatchObject({ reason, actor: "slack:UREQUESTER" });
    expect(notifier.events.finished.map(({ outcome }) => outcome.status)).toEqual(["succeeded"]);
  });

  it("runs a verify job and returns the engine's report", async () => {
    const events = new QueueEvents("jobs", { connection: { url: config.redisUrl }, prefix: config.queuePrefix });
    try {
      await events.waitUntilReady();
      const job = await enqueueVerify(queue, { environment: "production", requestedBy: "UREQUESTER" });
      const report = await job.waitUntilFinished(events, 30_000);
      expect(report).toMatchObject({ environment: "production" });
      expect(report.checks.map((check: { name: string }) => check.name)).toContain("checksum_drift");
    } finally {
      await events.close();
    }
  });
});
