import { describe, expect, it } from "vitest";
import { EnvironmentSchema } from "../src/config/index.ts";
import { startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, waitForRequest, waitUntil } from "./support/queue.ts";
import { adminDatabaseUrl, createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** What each session of these databases is doing now: sleeping in a migration, or waiting for the migration lock. */
async function activity(urls: string[]): Promise<{ datname: string; sleeping: boolean; waitingForLock: boolean }[]> {
  return query(
    adminDatabaseUrl(),
    `SELECT datname, query LIKE '%pg_sleep%' AS sleeping, (wait_event_type = 'Lock' AND wait_event = 'advisory') AS "waitingForLock"
       FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()`,
    [urls.map(databaseName)],
  );
}

describe("jobs on different databases run in parallel, on one database one at a time", async () => {
  const [productionUrl, stagingUrl, controlUrl] = await Promise.all([
    createTestDatabase("par-production"),
    createTestDatabase("par-staging"),
    createTestDatabase("par-control"),
  ]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_first.sql": "CREATE TABLE first_table (id int);\nSELECT pg_sleep(2);\n",
    "2025_11_01/002_second.sql": "CREATE TABLE second_table (id int);\nSELECT pg_sleep(2);\n",
  });
  const config = queueTestConfig({ databaseUrl: productionUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("par") });
  config.environments.staging = { ...EnvironmentSchema.parse({ databaseUrl: stagingUrl }), name: "staging" };
  const pool = await controlPool(controlUrl);

  it("runs two databases' migrations at the same moment", async () => {
    const worker = await startWorker(config, { logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 0 });
    try {
      const requests = [
        await approvedRequest(pool, config, ["20251101_000001"], { environment: "production" }),
        await approvedRequest(pool, config, ["20251101_000001"], { environment: "staging" }),
      ];
      await worker.reconcile();
      await waitUntil(async () => {
        const sleeping = (await activity([productionUrl, stagingUrl])).filter((session) => session.sleeping);
        return new Set(sleeping.map((session) => session.datname)).size === 2;
      }, "both databases to be migrating at once");
      const done = await Promise.all(requests.map((request) => waitForRequest(pool, request.id, ["succeeded", "failed"])));
      expect(done.map((request) => request.status)).toEqual(["succeeded", "succeeded"]);
    } finally {
      await worker.close();
    }
  });

  it("makes a second job on the same database wait for the first one's lock", async () => {
    const worker = await startWorker(config, { logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 0 });
    try {
      const first = await approvedRequest(pool, config, ["20251101_000002"], { environment: "production" });
      const sameDatabase = await approvedRequest(pool, config, ["20251101_000002"], { environment: "production" });
      await worker.reconcile();
      await waitUntil(async () => {
        const sessions = (await activity([productionUrl])).filter((session) => session.sleeping || session.waitingForLock);
        return sessions.some((session) => session.sleeping) && sessions.some((session) => session.waitingForLock);
      }, "one production job migrating while the other waits for the lock");
      const done = await Promise.all([first, sameDatabase].map((request) => waitForRequest(pool, request.id, ["succeeded", "failed"])));
      expect(done.map((request) => request.status)).toEqual(["succeeded", "succeeded"]);
    } finally {
      await worker.close();
    }
    // The waiting job found 002 applied by the first and skipped it: applied once.
    expect((await ledgerRows(productionUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "applied"],
    ]);
    const applied = await query(productionUrl, "SELECT count(*)::int AS n FROM migration_events WHERE event = 'applied' AND version = '20251101_000002'");
    expect(applied[0]?.n).toBe(1);
  });
});
