import { describe, expect, it } from "vitest";
import { migrationsFolder } from "./support/cli.ts";
import { controlPool, queueTestConfig, spawnWorker } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";
import { startThrowawayRedis } from "./support/throwaway.ts";

describe("rookery worker --scheduler gets SIGTERM while its Redis is down", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("fault-sigterm"), createTestDatabase("fault-sigterm-ctl")]);
  const redis = await startThrowawayRedis();
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("sigterm"), redisUrl: redis.url });
  await controlPool(controlUrl);

  it("exits 0 within the shutdown grace, and the outage is logged once through pino, never on bare stderr", async () => {
    const worker = await spawnWorker(config, ["--scheduler"], { SHUTDOWN_GRACE: "2s", LOG_LEVEL: "info" });
    await redis.kill();
    // Several reconnect rounds of every connection (worker, blocking, producer, scheduler).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const sent = Date.now();
    worker.child.kill("SIGTERM");
    const exit = await Promise.race([worker.exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000))]);
    const took = Date.now() - sent;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(2000 + 2500);
    const output = worker.output();
    expect(output).toContain("stopped after the shutdown grace, leaving running jobs to stalled-job recovery");
    expect(output).not.toContain("[ioredis] Unhandled error event");
    const lines = output.split("\n").filter((line) => line.startsWith("{"));
    const outageLines = lines.filter((line) => line.includes("Redis does not answer"));
    // One per component that noticed (worker, scheduler), not one per retry.
    expect(outageLines.length).toBeGreaterThanOrEqual(1);
    expect(outageLines.length).toBeLessThanOrEqual(2);
    for (const line of output.split("\n").filter((text) => text.trim() !== "")) {
      expect(line.startsWith("{") || line.startsWith("rookery worker:"), `a line outside the log: ${line}`).toBe(true);
    }
  }, 40_000);
});
