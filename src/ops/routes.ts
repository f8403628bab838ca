import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { Config } from "../config/index.ts";
import { createPool } from "../db/index.ts";
import { metricsRegistry, redisConnection } from "../queue/index.ts";
import { checkDependencies, type SchedulerProbe } from "./health-check.ts";

/** The shape of Bolt's `customRoutes` entries, so the same handlers serve the app's port or a plain server. */
export interface OpsRoute {
  path: string;
  method: string;
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface OpsRoutes {
  routes: OpsRoute[];
  close(): Promise<void>;
}

/** GET /healthz (200 ready, 503 naming what is down) and GET /metrics (Prometheus text). */
export function opsRoutes(
  config: Pick<Config, "controlDatabaseUrl" | "redisUrl">,
  registry: Registry = metricsRegistry,
  scheduler?: () => SchedulerProbe | undefined,
): OpsRoutes {
  const pool = createPool(config.controlDatabaseUrl, { max: 1, applicationName: "rookery-healthz" });
  const redis = redisConnection(config.redisUrl, "probe");
  const healthz: OpsRoute = {
    path: "/healthz",
    method: "GET",
    async handler(_req, res) {
      const checks = await checkDependencies(pool, redis, scheduler);
      const down = checks.filter((check) => !check.ok);
      res.writeHead(down.length === 0 ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ ok: down.length === 0, down: down.map((check) => check.name), checks }));
    },
  };
  const metrics: OpsRoute = {
    path: "/metrics",
    method: "GET",
    async handler(_req, res) {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
    },
  };
  return {
    routes: [healthz, metrics],
    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}
