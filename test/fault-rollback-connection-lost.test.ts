import { describe, expect, it, onTestFinished } from "vitest";
import { startWorker } from "../src/queue/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { ledgerRows, runContext } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest, waitUntil } from "./support/queue.ts";
import { startFaultProxyFor } from "./support/fault-proxy.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

/** Terminates the backend running the rollback script, once, as soon as it is seen. */
async function terminateRollbackOnce(url: string): Promise<void> {
  await waitUntil(
    async () => (await query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(1)%' AND pid <> pg_backend_pid()")).length > 0,
    "the rollback to start",
    15_000,
  );
}

describe("the connection is lost in the middle of a rollback", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fault-rblost"), createTestDatabase("fault-rblost-ctl")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_create_widgets.sql": "SELECT pg_sleep(1);\nDROP TABLE widgets;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("rblost") });
  const pool = await controlPool(controlUrl);
  const proxy = await startFaultProxyFor(databaseUrl);
  const widgets = async () => (await query(databaseUrl, "SELECT to_regclass('public.widgets')::text AS t"))[0]?.t ?? null;

  it("the CLI says the rollback was not committed and what the ledger holds", async () => {
    await applyMigrations(runContext(config.environments.production!, migrationsDir));
    const run = rookery(["rollback", "20251101_000001", "--reason", "widgets are slow", "--dir", migrationsDir], { DATABASE_URL: databaseUrl });
    await terminateRollbackOnce(databaseUrl);
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the connection was lost while rolling back 20251101_000001");
    expect(result.stderr).toContain("the rollback was not committed: the ledger still holds 20251101_000001 as applied, nothing of the rollback stays");
    expect(result.stderr).not.toContain("not queryable");
    expect((await ledgerRows(databaseUrl)).map((row) => row.status)).toEqual(["applied"]);
    expect(await widgets()).toBe("widgets");
  });

  it("a connection reset says the same, and leaves the ledger as it was", async () => {
    const run = rookery(["rollback", "20251101_000001", "--reason", "widgets are slow", "--dir", migrationsDir], { DATABASE_URL: proxy.urlFor(databaseUrl) });
    await waitUntil(
      async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(1)%' AND pid <> pg_backend_pid()")).length > 0,
      "the rollback to start",
      15_000,
    );
    proxy.reset();
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the connection was lost while rolling back 20251101_000001");
    expect(result.stderr).toContain("the ledger still holds 20251101_000001 as applied");
    expect((await ledgerRows(databaseUrl)).map((row) => row.status)).toEqual(["applied"]);
    // The server rolls back the transaction of the vanished session: the table is still there.
    await waitUntil(async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(1)%' AND pid <> pg_backend_pid()")).length === 0, "the abandoned session to end", 10_000);
    expect(await widgets()).toBe("widgets");
  });

  it("a worker retries the approved rollback like an apply, and it succeeds", async () => {
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0, retry: { attempts: 3, backoffMs: 200 } });
    onTestFinished(() => worker.close());
    const request = await approvedRequest(pool, config, ["20251101_000001"], { kind: "rollback", reason: "widgets are slow" });
    await worker.reconcile();
    await terminateRollbackOnce(databaseUrl);

    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 30_000);
    expect(done.status).toBe("succeeded");
    expect(done.attempts).toBe(2);
    // The request is marked succeeded before the notifier is told: on a busy machine the second event comes after.
    await waitUntil(async () => notifier.events.finished.length >= 2, "the second attempt's notification", 10_000);
    const [first, second] = notifier.events.finished.map(({ outcome }) => outcome);
    expect(first).toMatchObject({ status: "failed", willRetry: true });
    expect(first?.status === "failed" && first.error).toContain("the connection was lost while rolling back 20251101_000001");
    expect(second).toMatchObject({ status: "succeeded" });
    expect((await ledgerRows(databaseUrl)).map((row) => row.status)).toEqual(["rolled_back"]);
    expect(await widgets()).toBeNull();
  });
});
