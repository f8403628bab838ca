import { describe, expect, it } from "vitest";
import { startWorker } from "../src/queue/index.ts";
import { createRequest, getRequest, recordApproval } from "../src/requests/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { controlPool, queueTestConfig, quietLogger, recordingNotifier, requestInput } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("requests nobody approved in time", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("expiry-target"), createTestDatabase("expiry-control")]);
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_things.sql": "CREATE TABLE things (id int);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("expiry") });
  const pool = await controlPool(controlUrl);

  it("are expired by the worker's sweep, told once to the notifier, and a late click changes nothing", async () => {
    const request = await createRequest(pool, requestInput({ expiresAt: new Date(Date.now() - 1000) }));
    const notifiers = [recordingNotifier(), recordingNotifier()];
    const workers = await Promise.all(
      notifiers.map((notifier) => startWorker(config, { notifier, logger: quietLogger(), reconcileEverySeconds: 0 })),
    );
    try {
      await Promise.all(workers.map((worker) => worker.reconcile()));
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
    expect(notifiers.flatMap((notifier) => notifier.events.expired.map((expired) => expired.id))).toEqual([request.id]);
    expect((await getRequest(pool, request.id))?.status).toBe("expired");
    expect((await recordApproval(pool, request.id, "UAPPROVER1")).outcome).toBe("not_pending");
    expect(await query(controlUrl, "SELECT 1 FROM rookery_control.outbox WHERE request_id = $1", [request.id])).toEqual([]);
  });
});
