import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, enqueueRequestJob, startWorker } from "../src/queue/index.ts";
import { getRequest } from "../src/requests/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("failed jobs", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fail-target"), createTestDatabase("fail-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_broken.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x int;\n",
    "2025_11_01/002_fine.sql": "CREATE TABLE fine (id int);\n",
    "2025_11_01/003_locked.sql": "ALTER TABLE fine ADD COLUMN note text;\n",
  });
  const config = queueTestConfig({
    databaseUrl,
    controlUrl,
    migrationsDir,
    queuePrefix: testQueuePrefix("fail"),
    environment: { lockTimeout: "100ms", lockRetries: 0 },
  });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  const notifier = recordingNotifier();
  const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0, retry: { attempts: 5, backoffMs: 500 } });
  afterAll(async () => {
    await worker.close();
    await queue.close();
  });

  it("does not retry a SQL error: one attempt, request failed with the error, nothing applied", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    await enqueueRequestJob(queue, request, { attempts: 3, backoffMs: 200 });
    const failed = await waitForRequest(pool, request.id, ["failed", "succeeded"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/no_such_table/);
    expect(failed.attempts).toBe(1);
    await waitUntil(async () => (await queue.getJob(request.id))?.finishedOn !== undefined, "the job to finish");
    const job = (await queue.getJob(request.id))!;
    expect(await job.getState()).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/no_such_table/);
    expect((await query(databaseUrl, "SELECT to_regclass('public.orders') AS t"))[0]?.t).toBeNull();
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "failed"]]);
    const outcome = notifier.events.finished.find(({ request: finished }) => finished.id === request.id)?.outcome;
    expect(outcome).toMatchObject({ status: "failed", willRetry: false });
  });

  it("retries a lock wait that ran out, and succeeds once the table is free", async () => {
    const setup = await approvedRequest(pool, config, ["20251101_000002"]);
    await worker.reconcile();
    await waitForRequest(pool, setup.id, ["succeeded"]);
    // Another session holds the table: the first attempt's lock_timeout (100 ms, no retries) runs out.
    const blocker = new (await import("pg")).default.Client({ connectionString: databaseUrl });
    await blocker.connect();
    await blocker.query("BEGIN; LOCK TABLE fine IN ACCESS EXCLUSIVE MODE");
    const request = await approvedRequest(pool, config, ["20251101_000003"]);
    await worker.reconcile();
    await waitUntil(async () => (await getRequest(pool, request.id))?.error !== null, "the first attempt to fail");
    const waiting = (await getRequest(pool, request.id))!;
    expect(waiting.status).toBe("queued");
    expect(waiting.error).toMatch(/lock/i);
    await blocker.query("COMMIT");
    await blocker.end();
    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect((await ledgerRows(databaseUrl)).find((row) => row.version === "20251101_000003")?.status).toBe("applied");
  });

  it("fails a job with a malformed payload at once, without retrying it", async () => {
    const job = await queue.add("apply", { requestId: "not-a-uuid", environment: "production" }, { attempts: 5, backoff: 100 });
    await waitUntil(async () => (await job.getState()) === "failed", "the bad job to fail");
    const failed = (await queue.getJob(job.id!))!;
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/invalid apply job payload: requestId/);
  });

  it("refuses to enqueue a malformed payload", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000002"]);
    await expect(enqueueRequestJob(queue, { ...request, environment: "Production; DROP" })).rejects.toThrow(/invalid apply job payload/);
  });
});
