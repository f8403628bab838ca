import { describe, expect, it, onTestFinished } from "vitest";
import { createJobQueue, startWorker, watchJobId } from "../src/queue/index.ts";
import { listAudit, watchOfRequest, type WatchRecord } from "../src/requests/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, spawnWorker, waitForRequest, waitForWatch } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

const FILES = {
  "2025_11_01/001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_create_orders.sql": "DROP TABLE orders;\n",
  "2025_11_01/002_add_order_note.sql": [
    "-- rookery:check orders_have_notes: SELECT count(*) = 0, count(*) || ' orders without a note' FROM orders WHERE note IS NULL",
    "ALTER TABLE orders ADD COLUMN note text;",
    "",
  ].join("\n"),
  "2025_11_01/rollback_002_add_order_note.sql": "ALTER TABLE orders DROP COLUMN note;\n",
};
const VERSIONS = ["20251101_000001", "20251101_000002"];
const AUTO_ROLLBACK = { watchMinutes: 0.25, interval: "300ms", checkTimeout: "2s" };

function watchReaching(pool: Parameters<typeof watchOfRequest>[0], requestId: string, done: (watch: WatchRecord) => boolean, what: string): Promise<WatchRecord> {
  return waitForWatch(() => watchOfRequest(pool, requestId), done, what);
}

describe("the watch after an approved apply, on the queue", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("arq-target"), createTestDatabase("arq-control")]);
  const migrationsDir = migrationsFolder(FILES);
  const pool = await controlPool(controlUrl);

  it("rolls the request back when a check fails inside the window: ledger, events, messages, alert, audit", async () => {
    const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("arq"), environment: { autoRollback: AUTO_ROLLBACK } });
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 });
    const queue = createJobQueue(config.redisUrl, config.queuePrefix);
    onTestFinished(async () => {
      await worker.close();
      await queue.close();
    });

    const request = await approvedRequest(pool, config, VERSIONS);
    await worker.reconcile();
    expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    const watching = await watchReaching(pool, request.id, (watch) => watch.rounds >= 2, "two clean rounds");
    expect(watching.status).toBe("watching");
    expect(watching.plan.checks.map((check) => check.name)).toContain("20251101_000002/orders_have_notes");

    // Redis loses the next round's job: the reconciler puts it back from the watch in Postgres.
    await (await queue.getJob(watchJobId(watching.id, watching.rounds + 1)))?.remove().catch(() => {});
    await worker.reconcile();

    await query(databaseUrl, "INSERT INTO orders (id) VALUES (7)");
    const ended = await watchReaching(pool, request.id, (watch) => watch.status !== "watching" && watch.status !== "rolling_back", "the watch to end");

    expect(ended.status).toBe("rolled_back");
    expect(ended.outcome).toMatchObject({ status: "rolled_back", rolledBack: ["20251101_000002", "20251101_000001"], failing: { name: "20251101_000002/orders_have_notes", value: "1 orders without a note" } });
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "rolled_back"],
      ["20251101_000002", "rolled_back"],
    ]);
    const auto = (await eventsOf(databaseUrl, "20251101_000002")).find((event) => event.event === "auto_rolled_back");
    expect(auto).toMatchObject({ actor: "slack:UREQUESTER", detail: { check: "20251101_000002/orders_have_notes", value: "1 orders without a note" } });

    expect(notifier.events.watch.map(({ news }) => news.kind)).toEqual(["started", "rolling_back", "finished"]);
    expect(notifier.events.watch.every(({ request: told }) => told?.id === request.id)).toBe(true);
    const alert = notifier.events.alerts.find((candidate) => candidate.key === `watch:${ended.id}`);
    expect(alert).toMatchObject({ level: "WARNING", state: "new", version: "20251101_000002" });
    expect(alert!.message).toContain("rolled back automatically (20251101_000002, 20251101_000001): 20251101_000002/orders_have_notes = 1 orders without a note");
    const audit = await listAudit(pool, { requestId: request.id });
    expect(audit.find((entry) => entry.action === "watch.rolled_back")).toMatchObject({ actor: "worker", environment: "production" });
  });

  it("survives a worker killed during the watch: another worker runs the next rounds and rolls back", async () => {
    const target = await createTestDatabase("arq-restart");
    const config = queueTestConfig({ databaseUrl: target, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("arqr"), environment: { autoRollback: AUTO_ROLLBACK } });
    const args = ["--lock-duration", "2000", "--stalled-interval", "1000"];
    // Approved before the worker starts: its first reconcile round takes it at once.
    const request = await approvedRequest(pool, config, VERSIONS);
    const first = await spawnWorker(config, args, {}, { autoRollback: AUTO_ROLLBACK });
    expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    const before = await watchReaching(pool, request.id, (watch) => watch.rounds >= 2, "rounds by the first worker");
    first.child.kill("SIGKILL");
    await first.exited;

    await query(target, "INSERT INTO orders (id) VALUES (1)");
    const roundsWhileDown = (await watchOfRequest(pool, request.id))!.rounds;
    expect((await ledgerRows(target)).map((row) => row.status)).toEqual(["applied", "applied"]);
    await spawnWorker(config, args, {}, { autoRollback: AUTO_ROLLBACK });
    const ended = await watchReaching(pool, request.id, (watch) => watch.status === "rolled_back", "the second worker's rollback");
    expect(ended.rounds).toBeGreaterThanOrEqual(roundsWhileDown);
    expect(ended.rounds).toBeGreaterThanOrEqual(before.rounds);
    expect(ended.outcome).toMatchObject({ status: "rolled_back", rolledBack: ["20251101_000002", "20251101_000001"] });
    expect((await ledgerRows(target)).map((row) => row.status)).toEqual(["rolled_back", "rolled_back"]);
    expect((await eventsOf(target, "20251101_000001")).filter((event) => event.event === "auto_rolled_back")).toHaveLength(1);
  });
});
