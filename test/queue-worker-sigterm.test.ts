import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, dispatchOutbox } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, spawnWorker, waitUntil } from "./support/queue.ts";
import { getRequest } from "../src/requests/index.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("rookery worker on SIGTERM", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("term-target"), createTestDatabase("term-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_slow_table.sql": "CREATE TABLE drained (id bigint PRIMARY KEY);\nSELECT pg_sleep(3);\n",
    "2025_11_01/002_next.sql": "CREATE TABLE not_started (id bigint);\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("term") });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  afterAll(() => queue.close());

  it("finishes the job it is running, takes no new one, and exits 0", async () => {
    const worker = await spawnWorker(config, ["--concurrency", "1"]);
    const running = await approvedRequest(pool, config, ["20251101_000001"]);
    expect(await dispatchOutbox({ controlPool: pool, queue, logger: quietLogger() })).toBe(1);
    await waitUntil(
      async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()")).length > 0,
      "the migration to be running",
    );
    const waiting = await approvedRequest(pool, config, ["20251101_000002"]);
    expect(await dispatchOutbox({ controlPool: pool, queue, logger: quietLogger() })).toBe(1);

    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain("stopped");

    expect((await getRequest(pool, running.id))?.status).toBe("succeeded");
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
    // The job queued behind it stays on the queue for the next worker, its request untouched.
    expect((await getRequest(pool, waiting.id))?.status).toBe("queued");
    expect(await (await queue.getJob(waiting.id))?.getState()).toBe("waiting");
  }, 60_000);
});
