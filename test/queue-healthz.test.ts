import type { Server } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { opsRoutes, serveOpsRoutes } from "../src/ops/index.ts";
import { createJobQueue, enqueueRequestJob, startWorker } from "../src/queue/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";

async function serve(config: Parameters<typeof opsRoutes>[0]): Promise<string> {
  const ops = opsRoutes(config);
  const server: Server = await serveOpsRoutes(ops.routes, 0, "127.0.0.1");
  afterAll(async () => {
    server.close();
    await ops.close();
  });
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

describe("GET /healthz and GET /metrics", async () => {
  const [databaseUrl, controlUrl] = await Promise.all([createTestDatabase("ops-target"), createTestDatabase("ops-control")]);
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_gadgets.sql": "CREATE TABLE gadgets (id bigint);\n" });
  const config = queueTestConfig({ databaseUrl, controlUrl, migrationsDir, queuePrefix: testQueuePrefix("ops") });
  const pool = await controlPool(controlUrl);

  it("answers 200 when Postgres and Redis both answer", async () => {
    const base = await serve(config);
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, down: [] });
  });

  it("answers 503 naming Redis when Redis is unreachable", async () => {
    const base = await serve({ ...config, redisUrl: "redis://127.0.0.1:1" });
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, down: ["redis"] });
  });

  it("answers 503 naming Postgres when the control database is unreachable", async () => {
    const base = await serve({ ...config, controlDatabaseUrl: "postgres://postgres@127.0.0.1:1/postgres" });
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, down: ["postgres"] });
  });

  it("exposes jobs by kind and outcome, job durations and queue depth in Prometheus text", async () => {
    const queue = createJobQueue(config.redisUrl, config.queuePrefix);
    const worker = await startWorker(config, { logger: quietLogger(), reconcileEverySeconds: 0 });
    try {
      const base = await serve(config);
      const scrape = async () => {
        const response = await fetch(`${base}/metrics`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/text\/plain/);
        return response.text();
      };
      // The registry is the process's: what this job adds is counted from what was there before it.
      const succeeded = 'rookery_jobs_total{kind="apply",outcome="succeeded"}';
      const durations = 'rookery_job_duration_seconds_count{kind="apply"}';
      const before = await scrape();
      const request = await approvedRequest(pool, config, ["20251101_000001"]);
      await enqueueRequestJob(queue, request);
      await waitForRequest(pool, request.id, ["succeeded"]);
      // The completed event is counted just after the request is marked succeeded.
      let text = "";
      await waitUntil(async () => sampleOf((text = await scrape()), succeeded) === sampleOf(before, succeeded) + 1, "the job to be counted");
      expect(sampleOf(text, durations)).toBe(sampleOf(before, durations) + 1);
      expect(text).toMatch(/rookery_queue_depth\{state="waiting"\} 0/);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});

/** The value of one sample line of Prometheus text (`name{labels} value`), 0 when it is not there yet. */
function sampleOf(text: string, sample: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
