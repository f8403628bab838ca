import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { startFaultProxyFor } from "./support/fault-proxy.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("the control database is down when a job fails transiently", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fault-ctldown"), createTestDatabase("fault-ctldown-ctl")]);
  await query(databaseUrl, "CREATE TABLE orders (id bigint PRIMARY KEY)");
  const control = await startFaultProxyFor(controlUrl);
  const migrationsDir = migrationsFolder({ "2025_11_01/001_add_note.sql": "ALTER TABLE orders ADD COLUMN note text;\n" });
  const config = queueTestConfig({
    databaseUrl,
    controlUrl: control.urlFor(controlUrl),
    migrationsDir,
    queuePrefix: testQueuePrefix("ctldown"),
    environment: { lockTimeout: "2s", lockRetries: 0 },
  });
  const pool = await controlPool(controlUrl);

  it("reports the retry once the control database answers, and the request shows it was queued again", async () => {
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0, retry: { attempts: 3, backoffMs: 300 } });
    onTestFinished(() => worker.close());
    // A long transaction on orders: the first attempt's lock wait times out, a transient failure.
    const blocker = new pg.Client({ connectionString: databaseUrl });
    blocker.on("error", () => {});
    await blocker.connect();
    onTestFinished(() => blocker.end());
    await blocker.query("BEGIN; SELECT count(*) FROM orders");

    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    await worker.reconcile();
    // Down once the migration waits for its lock: the control database was there when the job began.
    await waitUntil(
      async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ADD COLUMN note%'")).length > 0,
      "the migration to wait for its lock",
      20_000,
    );
    await control.down();
    // The attempt fails while the control database is away; nothing can be recorded yet.
    await waitUntil(async () => notifier.events.progress.some((event) => event.step === "done"), "the attempt to fail", 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(notifier.events.finished).toEqual([]);
    await blocker.query("COMMIT");
    await control.up();

    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 30_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    // The channel is told after the request's row says so: wait for the telling, not only the row.
    await waitUntil(async () => notifier.events.finished.length >= 2, "the success to be told", 10_000);
    const outcomes = notifier.events.finished.map(({ request: told, outcome }) => [told.status, outcome.status, outcome.status === "failed" && outcome.willRetry]);
    expect(outcomes).toEqual([
      ["queued", "failed", true],
      ["succeeded", "succeeded", false],
    ]);
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
  });
});
