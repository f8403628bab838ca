import { afterAll, describe, expect, it } from "vitest";
import { freezeEnvironment, unfreezeEnvironment } from "../src/policy/freeze.ts";
import { createJobQueue, startWorker } from "../src/queue/index.ts";
import { createRequest } from "../src/requests/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, recordingNotifier, requestInput, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("a freeze that starts after approval", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("frz-target"), createTestDatabase("frz-control")]);
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_orders.sql": "DROP TABLE IF EXISTS orders;\n",
    "2025_11_01/002_notes.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
  });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("frz") });
  const pool = await controlPool(controlUrl);
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  const worker = await startWorker(config, { notifier: recordingNotifier(), logger: quietLogger(), reconcileEverySeconds: 0 });
  afterAll(async () => {
    await worker.close();
    await queue.close();
  });

  it("stops an approved apply from running; it fails saying who froze the environment, and nothing is applied", async () => {
    const applied = await approvedRequest(pool, config, ["20251101_000001"]);
    await worker.reconcile();
    expect((await waitForRequest(pool, applied.id, ["succeeded", "failed"])).status).toBe("succeeded");

    await freezeEnvironment(pool, { environment: "production", reason: "quarter-end close", by: "UDBA" });
    const request = await approvedRequest(pool, config, ["20251101_000002"]);
    await worker.reconcile();
    const refused = await waitForRequest(pool, request.id, ["succeeded", "failed"]);
    expect(refused.status).toBe("failed");
    expect(refused.error).toMatch(/frozen by UDBA.*quarter-end close/);
    const columns = await query(databaseUrl, "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'");
    expect(columns.map((row) => row.column_name)).toEqual(["id"]);
    expect((await ledgerRows(databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001"]);
  });

  it("lets an emergency (break-glass) rollback through the freeze", async () => {
    const request = await createRequest(
      pool,
      requestInput({
        kind: "rollback",
        versions: ["20251101_000001"],
        checksums: { "20251101_000001": (await approvedChecksum()) },
        reason: "orders table breaks checkout",
        approvalsRequired: 0,
        breakGlass: true,
      }),
    );
    await worker.reconcile();
    expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    expect((await ledgerRows(databaseUrl)).find((row) => row.version === "20251101_000001")?.status).toBe("rolled_back");
    await unfreezeEnvironment(pool, { environment: "production", by: "UDBA" });
  });

  it("refuses to store a break-glass request that is not a rollback", async () => {
    await expect(createRequest(pool, requestInput({ approvalsRequired: 0, breakGlass: true }))).rejects.toThrow(/only a rollback can break glass/);
  });

  async function approvedChecksum(): Promise<string> {
    const rows = await query(databaseUrl, "SELECT checksum FROM schema_migrations WHERE version = '20251101_000001'");
    return rows[0]!.checksum as string;
  }
});
