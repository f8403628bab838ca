import { afterAll, describe, expect, it } from "vitest";
import { startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("a chat request's requester is the ledger's actor, whatever the text", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("actor-target"), createTestDatabase("actor-control")]);
  await query(databaseUrl, "CREATE TABLE canary (id int)");
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_labels.sql": "CREATE TABLE labels (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_create_labels.sql": "DROP TABLE labels;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("actor") });
  const pool = await controlPool(controlUrl);
  const worker = await startWorker(config, { notifier: recordingNotifier(), logger: quietLogger(), reconcileEverySeconds: 0 });
  afterAll(() => worker.close());
  const requestedBy = `U1 'o''brien' back\\slash\nline -- $$ '); DROP TABLE canary; --`;

  it("applies and rolls back with slack:<requester> recorded exactly, nothing else dropped", async () => {
    for (const kind of ["apply", "rollback"] as const) {
      const request = await approvedRequest(pool, config, ["20251101_000001"], { kind, requestedBy, reason: kind === "rollback" ? "undo" : undefined });
      await worker.reconcile();
      expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    }
    expect((await ledgerRows(databaseUrl)).map((row) => [row.status, row.applied_by])).toEqual([["rolled_back", `slack:${requestedBy}`]]);
    expect((await eventsOf(databaseUrl, "20251101_000001")).map((event) => [event.event, event.actor])).toEqual([
      ["applied", `slack:${requestedBy}`],
      ["rolled_back", `slack:${requestedBy}`],
    ]);
    expect(await query(databaseUrl, "SELECT to_regclass('public.canary') IS NOT NULL AS kept, to_regclass('public.labels') IS NULL AS dropped")).toEqual([{ kept: true, dropped: true }]);
  });
});
