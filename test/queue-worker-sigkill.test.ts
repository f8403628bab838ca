import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, enqueueRequestJob, startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, spawnWorker, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("a worker killed with SIGKILL in the middle of a migration", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("kill-target"), createTestDatabase("kill-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_slow_table.sql": "CREATE TABLE slow_things (id bigint PRIMARY KEY);\nSELECT pg_sleep(5);\nALTER TABLE slow_things ADD COLUMN label text;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("kill") });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  afterAll(() => queue.close());

  it("leaves nothing half done, and a second worker applies the migration exactly once", async () => {
    const first = await spawnWorker(config, ["--lock-duration", "2000", "--stalled-interval", "1000"]);
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    await enqueueRequestJob(queue, request);
    await waitUntil(
      async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()")).length > 0,
      "the migration to be sleeping",
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect((await waitForRequest(pool, request.id, ["running"])).status).toBe("running");

    const second = await startWorker(config, {
      logger: quietLogger(),
      reconcileEverySeconds: 0,
      workerOptions: { lockDuration: 2000, stalledInterval: 1000 },
    });
    try {
      const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 55_000);
      expect(done.status).toBe("succeeded");
      expect(done.attempts).toBe(2);
      // Postgres finished the killed worker's round trip, COMMIT included: the second attempt found it applied, and
      // reports it as this request's doing (the thread says "1 applied"), not as skipped, applied by someone else.
      const result = done.result as { applied: { version: string; byEarlierAttempt?: boolean }[]; skipped: unknown[] };
      expect(result.applied.map(({ version, byEarlierAttempt }) => ({ version, byEarlierAttempt }))).toEqual([{ version: "20251101_000001", byEarlierAttempt: true }]);
      expect(result.skipped).toEqual([]);
    } finally {
      await second.close();
    }
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
    expect((await eventsOf(databaseUrl, "20251101_000001")).map((event) => event.event)).toEqual(["applied"]);
    const columns = await query(databaseUrl, "SELECT column_name FROM information_schema.columns WHERE table_name = 'slow_things' ORDER BY ordinal_position");
    expect(columns.map((row) => row.column_name)).toEqual(["id", "label"]);
  }, 90_000);
});
