import { describe, expect, it, onTestFinished } from "vitest";
import { startWorker } from "../src/queue/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { rookery, migrationsFolder } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { startFaultProxyFor } from "./support/fault-proxy.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("the network goes silent in the middle of a migration (no reset, TCP stays up)", async () => {
  const url = await createTestDatabase("fault-silent");
  const proxy = await startFaultProxyFor(url);
  const dir = migrationsFolder({ "2025_11_01/001_slow_widgets.sql": "SELECT pg_sleep(1);\nCREATE TABLE widgets (id bigint PRIMARY KEY);\n" });
  const settings = { statementTimeout: "1500ms", queryDeadlineGrace: "1s", advisoryLockWait: "20s" };

  it("fails the run as transient within the deadline, and the server ends the session so the next runner gets the lock", async () => {
    const silentConfig = configFile({ production: { databaseUrl: proxy.urlFor(url), ...settings } });
    const started = Date.now();
    const run = rookery(["apply", "--all", "--dir", dir, "--config", silentConfig], {});
    await waitUntil(
      async () => (await query(url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%BEGIN;%pg_sleep(1)%' AND pid <> pg_backend_pid()")).length > 0,
      "the migration to start",
      10_000,
    );
    proxy.drop();
    const result = await run;
    const elapsed = Date.now() - started;

    // Budget: 3 statements x 1.5 s statement timeout, plus 1 s grace; never the 120 s hang.
    expect(result.code).toBe(1);
    // Margin for a loaded machine; the bug was a hang past 120 s.
    expect(elapsed).toBeLessThan(15_000);
    expect(result.stderr).toContain("no answer from");
    expect(result.stderr).toContain("It is worth retrying as it is.");

    // The server finished the file and committed; the abandoned session then ends on idle_session_timeout
    // (1.5 s + 1 s), releasing the lock: a runner on a working network proceeds and applies nothing twice.
    const directConfig = configFile({ production: { databaseUrl: url, ...settings } });
    const next = await rookery(["apply", "--all", "--dir", dir, "--config", directConfig], {});
    expect(next.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
    const abandoned = await query(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rookery'");
    expect(abandoned).toEqual([]);
  });

  const [target, controlUrl] = await Promise.all([createTestDatabase("fault-silent-worker"), createTestDatabase("fault-silent-ctl")]);
  const workerProxy = await startFaultProxyFor(target);
  const config = queueTestConfig({
    databaseUrl: workerProxy.urlFor(target),
    controlUrl,
    migrationsDir: dir,
    queuePrefix: testQueuePrefix("silent"),
    environment: settings,
  });
  const pool = await controlPool(controlUrl);

  it("a worker's job fails as transient within the deadline instead of staying running, and its retry finishes the request", async () => {
    const notifier = recordingNotifier();
    const worker = await startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0, retry: { attempts: 3, backoffMs: 3000 } });
    onTestFinished(() => worker.close());
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    await worker.reconcile();
    await waitUntil(
      async () => (await query(target, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%BEGIN;%pg_sleep(1)%' AND pid <> pg_backend_pid()")).length > 0,
      "the migration to start",
      10_000,
    );
    const dropped = Date.now();
    workerProxy.drop();

    const retrying = await waitForRequest(pool, request.id, ["queued", "failed", "succeeded"], 20_000);
    expect(Date.now() - dropped).toBeLessThan(15_000);
    expect(retrying.status).toBe("queued");
    expect(retrying.error).toContain("no answer from");
    workerProxy.resume();

    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 30_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    expect((await ledgerRows(target)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
  });

  const slowTarget = await createTestDatabase("fault-slow");
  const slowProxy = await startFaultProxyFor(slowTarget);

  it("a slow network (latency, a pause then delivery) within the deadline is not called dead", async () => {
    slowProxy.latency(30);
    const slowConfig = configFile({ production: { databaseUrl: slowProxy.urlFor(slowTarget), ...settings } });
    const run = rookery(["apply", "--all", "--dir", dir, "--config", slowConfig], {});
    await waitUntil(
      async () => (await query(slowTarget, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%BEGIN;%pg_sleep(1)%' AND pid <> pg_backend_pid()")).length > 0,
      "the migration to start",
      10_000,
    );
    // Held for 2 s, then delivered: past the 1.5 s statement timeout plus 1 s grace only with the sleep, well within 3 x 1.5 s + 1 s.
    slowProxy.pause();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    slowProxy.resume();
    const result = await run;
    expect(result.stderr).not.toContain("no answer");
    expect(result.code).toBe(0);
    expect((await ledgerRows(slowTarget)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
  });

  it("a live run whose session sits idle (a slow notifier between migrations) is not ended by the server's idle timeout", async () => {
    const idleTarget = await createTestDatabase("fault-idle");
    const two = migrationsFolder({
      "2025_11_01/001_create_a.sql": "CREATE TABLE a (id int);\n",
      "2025_11_01/002_create_b.sql": "CREATE TABLE b (id int);\n",
    });
    // idle_session_timeout = 1 s + 0.5 s; the notifier takes 3 s before the second migration.
    const ctx = runContext(testEnvironment(idleTarget, { statementTimeout: "1s", queryDeadlineGrace: "500ms" }), two);
    ctx.onProgress = async (event) => {
      if (event.step === "apply" && event.version === "20251101_000002") await new Promise((resolve) => setTimeout(resolve, 3000));
    };
    const report = await applyMigrations(ctx);
    expect(report.failed).toBeUndefined();
    expect((await ledgerRows(idleTarget)).map((row) => row.status)).toEqual(["applied", "applied"]);
  });

  it("a run of plain migrations sent as one query is called dead within one migration's budget, not the whole run's", async () => {
    const batchTarget = await createTestDatabase("fault-silent-batch");
    const batchProxy = await startFaultProxyFor(batchTarget);
    const files: Record<string, string> = { "2025_11_01/001_first.sql": "CREATE TABLE t001 (id int);\n", "2025_11_01/002_slow.sql": "SELECT pg_sleep(1);\nCREATE TABLE t002 (id int);\n" };
    for (let index = 3; index <= 30; index += 1) files[`2025_11_01/${String(index).padStart(3, "0")}_next.sql`] = `CREATE TABLE t${String(index).padStart(3, "0")} (id int);\n`;
    const many = migrationsFolder(files);
    const started = Date.now();
    const run = rookery(["apply", "--all", "--dir", many, "--config", configFile({ production: { databaseUrl: batchProxy.urlFor(batchTarget), ...settings } })], {});
    await waitUntil(
      // The batch's text is longer than pg_stat_activity keeps: the sleep shows as its wait event.
      async () => (await query(batchTarget, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()")).length > 0,
      "the batch to reach the sleep",
      10_000,
    );
    batchProxy.drop();
    const result = await run;
    // One migration's budget (3 statements x 1.5 s, plus 1 s grace) from the last COMMIT heard, never 30 migrations' (over 90 s).
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.stderr).toContain("no answer from");
    // The server had the whole query: what it committed is in the ledger, and a runner on a working network
    // (once the abandoned session has ended and freed the lock) applies the rest, nothing twice.
    const next = await rookery(["apply", "--all", "--dir", many, "--config", configFile({ production: { databaseUrl: batchTarget, ...settings } })], {});
    expect(next.code).toBe(0);
    expect((await ledgerRows(batchTarget)).filter((row) => row.status === "applied")).toHaveLength(30);
    const events = await query<{ n: number }>(batchTarget, "SELECT count(*)::int AS n FROM migration_events WHERE event = 'applied'");
    expect(events[0]!.n).toBe(30);
  }, 60_000);
});
