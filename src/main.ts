import type { AddressInfo } from "node:net";
import type { Queue } from "bullmq";
import { readCatalog } from "./catalog/index.ts";
import type { Config } from "./config/index.ts";
import { createPool } from "./db/index.ts";
import { describeError } from "./errors.ts";
import { createLogger, type Logger } from "./log/logger.ts";
import { opsRoutes, serveOpsRoutes } from "./ops/index.ts";
import {
  createJobQueue,
  dispatchOutbox,
  enqueueWatchRound,
  redisOutageLog,
  startScheduler,
  startWorker,
  watchRedisClients,
  type RunningScheduler,
  type RunningWorker,
  type WorkerDeps,
} from "./queue/index.ts";
import { ensureControlSchema } from "./requests/index.ts";
import { createSlackApp } from "./slack/app.ts";
import type { SlackDeps } from "./slack/deps.ts";
import { slackNotifier } from "./slack/notifier.ts";

export interface StartOptions {
  logger?: Logger;
  /** Run the worker and the health-poll scheduler in this process (default true). */
  jobs?: boolean;
  /** HTTP port (0: any free one); defaults to config.port. */
  port?: number;
  /** Worker tuning (tests shorten the stalled-job check). */
  worker?: Pick<WorkerDeps, "workerOptions" | "retry" | "reconcileEverySeconds" | "concurrency">;
}

export interface RunningRookery {
  mode: "socket" | "http";
  /** The HTTP port (Slack's requests in HTTP mode; /healthz and /metrics in both). */
  port?: number;
  deps: SlackDeps;
  /** Stops taking commands and jobs, lets the current job finish, closes every connection. */
  stop(): Promise<void>;
  /** After a `stop` that did not finish in time: drops the Redis connections at once (see RunningWorker.abandon). */
  abandon(): void;
}

/** Stop order matters: no new commands first, then no new jobs, then the connections they used. */
async function stopAll(logger: Logger, steps: [string, (() => Promise<unknown>) | undefined][]): Promise<void> {
  for (const [name, step] of steps) {
    if (!step) continue;
    try {
      await step();
    } catch (error) {
      logger.warn({ err: describeError(error) }, `stopping ${name} failed`);
    }
  }
}

/**
 * Rookery in one process: the Slack app (Socket Mode or HTTP with /healthz and /metrics), the worker
 * that runs approved requests and the scheduler of health polls, sharing one config.
 */
export async function startRookery(config: Config, options: StartOptions = {}): Promise<RunningRookery> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const control = createPool(config.controlDatabaseUrl, { applicationName: "rookery-bot" });
  await ensureControlSchema(control);
  const runJobs = options.jobs ?? true;
  const queue: Queue | undefined = runJobs ? createJobQueue(config.redisUrl, config.queuePrefix) : undefined;
  if (queue) watchRedisClients(queue, redisOutageLog(logger, "slack app"));
  const deps: SlackDeps = {
    config,
    control,
    logger,
    loadCatalog: async () => readCatalog(config.migrationsDir, config.layout),
    now: () => new Date(),
    ...(queue
      ? {
          dispatchOutbox: async () => {
            await dispatchOutbox({ controlPool: control, queue, logger });
          },
          wakeWatch: async (watchId: string) => {
            await enqueueWatchRound(queue, watchId, "now");
          },
        }
      : {}),
  };
  let worker: RunningWorker | undefined;
  let scheduler: RunningScheduler | undefined;
  const ops = opsRoutes(config, undefined, () => scheduler);
  const slack = await createSlackApp(deps, { routes: ops.routes, port: options.port });
  if (runJobs) {
    worker = await startWorker(config, { ...options.worker, logger, notifier: slackNotifier(deps, slack.client, logger) });
    scheduler = await startScheduler(config, { logger });
  }
  const started = await slack.start();
  // Socket Mode has no HTTP server of its own: /healthz and /metrics get one on PORT.
  const opsServer = slack.mode === "socket" ? await serveOpsRoutes(ops.routes, options.port ?? config.port) : undefined;
  const port = started.port ?? (opsServer ? (opsServer.address() as AddressInfo).port : undefined);
  logger.info({ mode: slack.mode, port, jobs: runJobs }, "rookery started");
  return {
    mode: slack.mode,
    port,
    deps,
    stop: () =>
      stopAll(logger, [
        ["slack app", slack.stop],
        ["ops server", opsServer ? () => new Promise((resolve) => opsServer.close(resolve)) : undefined],
        ["scheduler", scheduler?.close],
        ["worker", worker?.close],
        ["queue", queue ? () => queue.close() : undefined],
        ["ops routes", ops.close],
        ["control pool", () => control.end()],
      ]),
    abandon() {
      worker?.abandon();
      scheduler?.abandon();
    },
  };
}
