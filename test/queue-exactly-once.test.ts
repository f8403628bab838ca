import { afterAll, describe, expect, it } from "vitest";
import { createJobQueue, enqueueRequestJob, startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("a request's job applies its migrations exactly once", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("once-target"), createTestDatabase("once-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
    "2025_11_01/002_add_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n",
    "2025_11_01/003_add_name.sql": "ALTER TABLE accounts ADD COLUMN name text;\n",
    "2025_11_01/004_create_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("once") });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  afterAll(() => queue.close());

  it("runs a job enqueued twice (same request id) once: one ledger row, one applied event", async () => {
    const notifier = recordingNotifier();
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    const first = await enqueueRequestJob(queue, request);
    const second = await enqueueRequestJob(queue, request);
    expect(second.id).toBe(first.id);

    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      const done = await waitForRequest(pool, request.id, ["succeeded", "failed"]);
      expect(done.status).toBe("succeeded");
      // The worker's own outbox round enqueued it a third time on start: still one job.
      expect(await queue.getJobCountByTypes("completed", "waiting", "active", "delayed")).toBe(1);
    } finally {
      await worker.close();
    }
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status, row.applied_by])).toEqual([
      ["20251101_000001", "applied", "slack:UREQUESTER"],
    ]);
    expect((await eventsOf(databaseUrl, "20251101_000001")).map((event) => event.event)).toEqual(["applied"]);
    expect(notifier.events.started).toEqual([request.id]);
    expect(notifier.events.progress.map((event) => event.step)).toContain("apply");
    expect(notifier.events.finished.map(({ outcome }) => outcome.status)).toEqual(["succeeded"]);
  });

  it("shares several requests between two workers, each applied exactly once", async () => {
    const requests = [
      await approvedRequest(pool, config, ["20251101_000002"]),
      await approvedRequest(pool, config, ["20251101_000003"]),
      await approvedRequest(pool, config, ["20251101_000004"]),
      // The same version asked for twice: the second finds it applied and skips it.
      await approvedRequest(pool, config, ["20251101_000004"]),
    ];
    const workers = await Promise.all([
      startWorker(config, { logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 1 }),
      startWorker(config, { logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 1 }),
    ]);
    try {
      const finished = await Promise.all(requests.map((request) => waitForRequest(pool, request.id, ["succeeded", "failed"])));
      expect(finished.map((request) => request.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
    const rows = await ledgerRows(databaseUrl);
    expect(rows.map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "applied"],
      ["20251101_000003", "applied"],
      ["20251101_000004", "applied"],
    ]);
    const applied = await query(databaseUrl, "SELECT version, count(*)::int AS n FROM migration_events WHERE event = 'applied' GROUP BY version ORDER BY version");
    expect(applied.map((row) => row.n)).toEqual([1, 1, 1, 1]);
    // Separate requests may run in either order; both columns exist once.
    expect((await query(databaseUrl, "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY column_name")).map((row) => row.column_name)).toEqual(["email", "id", "name"]);
  });
});
