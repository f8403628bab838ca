/**
 * Jobs on BullMQ: the queue every job kind shares, the worker that runs them, the outbox dispatcher and
 * reconciler that make sure nothing approved is lost, and the health-poll scheduler. Knows nothing of Slack:
 * people hear from it through a Notifier.
 */
export { startWorker, type RunningWorker, type WorkerDeps } from "./worker.ts";
export { startScheduler, healthPollSchedulerId, type RunningScheduler, type SchedulerDeps } from "./scheduler.ts";
export { createJobQueue, enqueueRequestJob, enqueueVerify, enqueueWatchRound, watchJobId, DEFAULT_RETRY, type RetryPolicy } from "./jobs-queue.ts";
export { beginWatch, reconcileWatches, type WatchJobDeps } from "./process-watch.ts";
export { runDrill, drillSchedulerId, drillOf, type DrillJobDeps } from "./process-drill.ts";
export { dispatchOutbox, reconcileJobs, type DispatchDeps } from "./dispatcher.ts";
export { logNotifier, describeWatchNews, type HealthAlert, type JobOutcome, type Notifier, type RolledBackSeveral, type WatchNews } from "./notifier.ts";
export { JOBS_QUEUE, JOB_KINDS, JobPayloadSchemas, type JobKind, type JobPayload } from "./payloads.ts";
export { metricsRegistry } from "./metrics.ts";
export { redisConnection, redisOutageLog, watchRedisClients } from "./connection.ts";
export { resumeRequest } from "./resume.ts";
