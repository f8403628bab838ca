import { describe, expect, it } from "vitest";
import { createJobQueue, dispatchOutbox, startWorker } from "../src/queue/index.ts";
import { createRequest, getRequest, recordApproval } from "../src/requests/index.ts";
import { readCatalog } from "../src/catalog/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { controlPool, queueTestConfig, quietLogger, requestInput, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

/** A port nothing listens on: Redis as it is during an outage. */
const UNREACHABLE_REDIS = "redis://127.0.0.1:1";

describe("a request approved while Redis is unreachable", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("redisdown-target"), createTestDatabase("redisdown-control")]);
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("redisdown") });
  const pool = await controlPool(controlUrl);

  it("is kept with its outbox row, then enqueued by the reconciler and applied once Redis answers", async () => {
    const checksum = readCatalog(migrationsDir).byVersion.get("20251101_000001")!.checksum;
    const request = await createRequest(pool, requestInput({ checksums: { "20251101_000001": checksum } }));
    expect((await recordApproval(pool, request.id, "UAPPROVER1")).outcome).toBe("approved");

    const deadQueue = createJobQueue(UNREACHABLE_REDIS, config.queuePrefix);
    try {
      expect(await dispatchOutbox({ controlPool: pool, queue: deadQueue, logger: quietLogger() })).toBe(0);
    } finally {
      await deadQueue.close().catch(() => {});
    }
    const [outbox] = await query(controlUrl, "SELECT sent_at, attempts, last_error FROM rookery_control.outbox WHERE request_id = $1", [request.id]);
    expect(outbox).toMatchObject({ sent_at: null, attempts: 1 });
    expect(outbox?.last_error).toBeTruthy();
    expect((await getRequest(pool, request.id))?.status).toBe("approved");
    expect((await query(databaseUrl, "SELECT to_regclass('public.widgets') AS widgets"))[0]?.widgets).toBeNull();

    // Redis is back: a worker's reconciler, on start, finds the approved request without a job.
    const worker = await startWorker(config, { logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    } finally {
      await worker.close();
    }
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);
    const [sent] = await query(controlUrl, "SELECT sent_at FROM rookery_control.outbox WHERE request_id = $1", [request.id]);
    expect(sent?.sent_at).not.toBeNull();
  });
});
