import { readdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { migrationsFolder, scratchFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows } from "./support/engine.ts";
import { approvedRequest, controlPool, queueTestConfig, spawnWorker, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, testQueuePrefix } from "./support/services.ts";

describe("a worker SIGKILLed while its pre-apply pg_dump runs", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fault-dumpkill"), createTestDatabase("fault-dumpkill-ctl")]);
  await query(databaseUrl, "CREATE TABLE held (id int)");
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("dumpkill") });
  const pool = await controlPool(controlUrl);
  const backupDir = path.join(scratchFolder(), "backups");
  const settings = { backup: true, backupDir };
  const stalled = ["--lock-duration", "1000", "--stalled-interval", "500"];
  const dumping = async () =>
    (await query(databaseUrl, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pg_dump'")).length;

  it("leaves no dump that no event records: its pg_dump dies with it, and the next run cleans up", async () => {
    // pg_dump waits for this lock, so the worker is killed in the middle of the backup.
    const blocker = new pg.Client({ connectionString: databaseUrl });
    blocker.on("error", () => {});
    await blocker.connect();
    onTestFinished(() => blocker.end());
    await blocker.query("BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE");

    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    const first = await spawnWorker(config, stalled, {}, settings);
    await waitUntil(async () => (await dumping()) > 0, "pg_dump to wait for the lock", 20_000);
    first.child.kill("SIGKILL");
    await first.exited;
    await blocker.query("COMMIT");
    // An orphan would now dump the whole database into a file of its own.
    await waitUntil(async () => (await dumping()) === 0, "the orphaned pg_dump to end", 5_000);

    const second = await spawnWorker(config, stalled, {}, settings);
    onTestFinished(() => void second.child.kill("SIGKILL"));
    expect((await waitForRequest(pool, request.id, ["succeeded", "failed"], 30_000)).status).toBe("succeeded");
    expect((await ledgerRows(databaseUrl)).map((row) => [row.version, row.status])).toEqual([["20251101_000001", "applied"]]);

    const recorded = (await eventsOf(databaseUrl, "20251101_000001")).filter((event) => event.event === "backup").map((event) => event.detail.name);
    expect(recorded).toHaveLength(1);
    expect(readdirSync(backupDir)).toEqual(recorded);
  });
});
