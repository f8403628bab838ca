import { Worker, type Job, type Queue, type WorkerOptions } from "bullmq";
import type pg from "pg";
import type { Config } from "../config/index.ts";
import { createPool } from "../db/index.ts";
import { describeError } from "../errors.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { ensureControlSchema, expirePendingRequests, getRequest, isAcrossTargets } from "../requests/index.ts";
import { dropRedisClients, redisOptions, redisOutageLog, watchRedisClients } from "./connection.ts";
import { reconcileJobs } from "./dispatcher.ts";
import { createJobQueue, type RetryPolicy } from "./jobs-queue.ts";
import { jobDuration, jobsTotal, trackQueue, untrackQueue } from "./metrics.ts";
import { logNotifier, type Notifier } from "./notifier.ts";
import { JOBS_QUEUE, parseJob } from "./payloads.ts";
import { processHealthPollJob, processVerifyJob } from "./process-checks.ts";
import { processRequestJob } from "./process-request.ts";
import { processWatchJob, reconcileWatches } from "./process-watch.ts";
import { processDatabaseJob } from "./process-database.ts";
import { processTargetsRequest } from "./process-targets.ts";
import { hasTargets } from "../targets/index.ts";
import { processDrillJob } from "./process-drill.ts";

export interface WorkerDeps {
  notifier?: Notifier;
  logger?: Logger;
  /** Jobs run at once; jobs on one database still wait for each other on the engine's advisory lock. */
  concurrency?: number;
  /** Stalled-job detection and the like (tests shorten them). */
  workerOptions?: Pick<WorkerOptions, "stalledInterval" | "lockDuration" | "maxStalledCount">;
  retry?: RetryPolicy;
  /** How often the outbox is dispatched and missing jobs reconciled; 0 only on start. */
  reconcileEverySeconds?: number;
}

export interface RunningWorker {
  worker: Worker;
  /** One round, now (also on start and on a timer): outbox dispatch, missing jobs re-enqueued, expired requests swept. */
  reconcile(): Promise<void>;
  /** Stops taking jobs, lets the current ones finish, closes every connection. */
  close(): Promise<void>;
  /**
   * Gives up on `close` (Redis does not answer, the shutdown grace is over): Redis connections are dropped
   * at once; jobs still running are handed on by another worker's stalled-job check.
   */
  abandon(): void;
}

/** A rollback of what a request across targets applied (its checksums keyed `target:version`), not one of the primary database. */
async function rollsBackAcrossTargets(controlPool: pg.Pool, requestId: string): Promise<boolean> {
  const request = await getRequest(controlPool, requestId);
  return request !== null && isAcrossTargets(request.checksums);
}

function processor(config: Config, controlPool: pg.Pool, notifier: Notifier, logger: Logger, queue: Queue) {
  const deps = { config, controlPool, notifier, logger, queue };
  return async (job: Job, token?: string): Promise<unknown> => {
    const parsed = parseJob(job.name, job.data);
    const stopTimer = jobDuration.startTimer({ kind: parsed.kind });
    try {
      switch (parsed.kind) {
        case "apply":
        case "rollback":
        case "complete":
        case "baseline": {
          // Across targets (docs/targets.md): the request's job is the parent of one job per database.
          const environment = config.environments[parsed.payload.environment];
          if (environment && hasTargets(environment) && (parsed.kind === "apply" || (parsed.kind === "rollback" && (await rollsBackAcrossTargets(controlPool, parsed.payload.requestId))))) {
            return await processTargetsRequest(deps, job, token, parsed.payload.requestId, environment);
          }
          return await processRequestJob(deps, job, parsed.payload);
        }
        case "apply-database":
          return await processDatabaseJob(deps, job, parsed.payload);
        case "verify":
          return await processVerifyJob(deps, parsed.payload);
        case "health-poll":
          return await processHealthPollJob(deps, parsed.payload);
        case "watch":
          return await processWatchJob(deps, parsed.payload);
        case "drill":
          return await processDrillJob(deps, parsed.payload);
      }
    } finally {
      stopTimer();
    }
  };
}

function countOutcomes(worker: Worker): void {
  worker.on("completed", (job) => jobsTotal.inc({ kind: job.name, outcome: "succeeded" }));
  worker.on("failed", (job, error) => {
    if (!job) return;
    const final = error.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
    jobsTotal.inc({ kind: job.name, outcome: final ? "failed" : "retried" });
  });
}

/** Pending requests past their expiry become expired, each told once (the UPDATE returns it to one worker only). */
async function expireForgottenRequests(controlPool: pg.Pool, notifier: Notifier, logger: Logger): Promise<void> {
  for (const request of await expirePendingRequests(controlPool)) {
    await notifier.expired?.(request).catch((error: unknown) => logger.warn({ requestId: request.id, err: describeError(error) }, "notifier failed (expired)"));
  }
}

/** Only the options a caller set: an explicit undefined would override BullMQ's defaults. */
function definedOptions(options: WorkerDeps["workerOptions"] = {}): Partial<WorkerOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

export async function startWorker(config: Config, deps: WorkerDeps = {}): Promise<RunningWorker> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel, name: "rookery-worker" });
  const notifier = deps.notifier ?? logNotifier(logger);
  const controlPool = createPool(config.controlDatabaseUrl, { applicationName: "rookery-worker" });
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  const closeAll = async () => {
    await worker?.close();
    if (queue) {
      untrackQueue(queue);
      await queue.close();
    }
    await controlPool.end();
  };
  try {
    await ensureControlSchema(controlPool);
    queue = createJobQueue(config.redisUrl, config.queuePrefix);
    trackQueue(queue);
    worker = new Worker(JOBS_QUEUE, processor(config, controlPool, notifier, logger, queue), {
      connection: redisOptions(config.redisUrl, "worker"),
      prefix: config.queuePrefix,
      concurrency: deps.concurrency ?? 4,
      ...definedOptions(deps.workerOptions),
    });
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
  const outages = redisOutageLog(logger, "worker");
  watchRedisClients(worker, outages);
  watchRedisClients(queue, outages);
  worker.on("failed", (job, error) => logger.warn({ jobId: job?.id, kind: job?.name, attemptsMade: job?.attemptsMade, err: error.message }, "job failed"));
  countOutcomes(worker);

  const dispatchDeps = { controlPool, queue, logger, retry: deps.retry };
  const reconcile = async () => {
    try {
      await reconcileJobs(dispatchDeps);
      await reconcileWatches({ config, controlPool, notifier, logger, queue: queue! });
      await expireForgottenRequests(controlPool, notifier, logger);
    } catch (error) {
      logger.warn({ err: describeError(error) }, "reconcile round failed; the next one retries");
    }
  };
  await reconcile();
  const everyMs = (deps.reconcileEverySeconds ?? 15) * 1000;
  const timer = everyMs > 0 ? setInterval(() => void reconcile(), everyMs) : undefined;
  timer?.unref();

  return {
    worker,
    reconcile,
    async close() {
      if (timer) clearInterval(timer);
      await closeAll();
    },
    abandon() {
      if (timer) clearInterval(timer);
      dropRedisClients(worker);
      if (queue) dropRedisClients(queue);
    },
  };
}
