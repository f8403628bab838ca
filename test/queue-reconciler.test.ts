import { UnrecoverableError, Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, dispatchOutbox, JOBS_QUEUE, reconcileJobs, startWorker } from "../src/queue/index.ts";
import { getRequest, markFailed, markOutboxSent } from "../src/requests/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";

describe("the reconciler", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("recon-target"), createTestDatabase("recon-control")]);
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_boxes.sql": "CREATE TABLE boxes (id int);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("recon") });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  const deps = { controlPool: pool, queue, logger: quietLogger() };
  afterAll(() => queue.close());

  it("sends again a queued request whose job Redis lost, and it runs", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    expect(await dispatchOutbox(deps)).toBe(1);
    expect((await getRequest(pool, request.id))?.status).toBe("queued");
    // Redis restarted without its data.
    await queue.obliterate({ force: true });

    expect(await reconcileJobs(deps)).toEqual([request.id]);
    const worker = await startWorker(config, { logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    } finally {
      await worker.close();
    }
    expect((await ledgerRows(databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001"]);
  });

  it("sends again an approved request whose outbox row says sent but whose job never reached Redis", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    // The dispatcher marked the row sent and died before the job was added (or Redis lost it) and before the status moved on.
    await markOutboxSent(pool, request.id);
    expect((await getRequest(pool, request.id))?.status).toBe("approved");
    expect(await queue.getJob(request.id)).toBeUndefined();

    expect(await reconcileJobs(deps)).toEqual([request.id]);
    expect(await (await queue.getJob(request.id))?.getState()).toMatch(/^(waiting|delayed|prioritized)$/);
    expect((await getRequest(pool, request.id))?.status).toBe("queued");
    // Out of the way of the next test: no job, and a finished request.
    await queue.obliterate({ force: true });
    await markFailed(pool, request.id, "test over");
  });

  it("fails, rather than sends round for ever, a request whose job BullMQ gave up on", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    await dispatchOutbox(deps);
    // A job failed without our worker recording it (as BullMQ does when a job stalled too often).
    const outsider = new Worker(JOBS_QUEUE, async () => Promise.reject(new UnrecoverableError("job stalled more than allowable limit")), {
      connection: { url: config.redisUrl, maxRetriesPerRequest: null },
      prefix: config.queuePrefix,
    });
    try {
      await waitUntil(async () => (await (await queue.getJob(request.id))?.getState()) === "failed", "the job to fail");
    } finally {
      await outsider.close();
    }
    expect(await reconcileJobs(deps)).toEqual([]);
    const failed = await getRequest(pool, request.id);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toMatch(/stalled more than allowable limit/);
  });
});
