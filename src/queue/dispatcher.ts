import type { Queue } from "bullmq";
import type pg from "pg";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import {
  FINAL_STATUSES,
  getRequest,
  hasLiveWorker,
  markFailed,
  markOutboxFailed,
  markOutboxSent,
  markQueued,
  requestsAwaitingJobs,
  resendOutbox,
  unsentOutbox,
} from "../requests/index.ts";
import { enqueueRequestJob, type RetryPolicy } from "./jobs-queue.ts";

export interface DispatchDeps {
  controlPool: pg.Pool;
  queue: Queue;
  logger: Logger;
  retry?: RetryPolicy;
}

/**
 * Moves approved requests from the outbox onto the queue. A failed enqueue (Redis down) leaves the row
 * unsent for the next round; the job id is the request id, so sending one twice adds it once.
 * Returns how many were sent.
 */
export async function dispatchOutbox(deps: DispatchDeps): Promise<number> {
  let sent = 0;
  for (const request of await unsentOutbox(deps.controlPool)) {
    try {
      await enqueueRequestJob(deps.queue, request, deps.retry);
    } catch (error) {
      await markOutboxFailed(deps.controlPool, request.id, describeError(error));
      deps.logger.warn({ requestId: request.id, err: describeError(error) }, "could not enqueue; kept in the outbox for the next round");
      // Redis is most likely down: the rest would fail the same way.
      break;
    }
    await markOutboxSent(deps.controlPool, request.id);
    await markQueued(deps.controlPool, request.id);
    sent += 1;
  }
  return sent;
}

/**
 * Finds approved, unfinished requests whose job is not in Redis (lost with a Redis restart, or never sent)
 * and puts them back into the outbox, then dispatches. Returns the ids it re-sent.
 * A job BullMQ itself gave up on (stalled too often: its worker keeps dying) fails the request instead of
 * being sent round again for ever.
 */
export async function reconcileJobs(deps: DispatchDeps): Promise<string[]> {
  const resent: string[] = [];
  for (const request of await requestsAwaitingJobs(deps.controlPool)) {
    const job = await deps.queue.getJob(request.id);
    const state = job ? await job.getState() : "missing";
    // The job may have finished the request since the list was read.
    const now = await getRequest(deps.controlPool, request.id);
    if (!now || FINAL_STATUSES.includes(now.status)) continue;
    // A failed job older than the request's last change belongs to an earlier run (the request was
    // resumed since, docs/targets.md): it goes, and the request is sent again.
    if (state === "failed" && job?.finishedOn !== undefined && job.finishedOn < now.updatedAt.getTime()) {
      await job.remove().catch(() => {});
      await resendOutbox(deps.controlPool, request.id);
      resent.push(request.id);
      continue;
    }
    if (state === "failed") {
      await markFailed(deps.controlPool, request.id, `the job failed outside the worker: ${job?.failedReason ?? "no reason recorded"}`);
      continue;
    }
    // "completed" while the request is unfinished: its worker died between the two writes; running it again is safe.
    if (state === "missing" || state === "unknown" || state === "completed") {
      // Redis lost the job of a request a live worker is still running: that run reports the outcome.
      if (await hasLiveWorker(deps.controlPool, request.id)) {
        deps.logger.info({ requestId: request.id }, "job missing from Redis, but a live worker is running its request; not sent again");
        continue;
      }
      if (job) await job.remove().catch(() => {});
      await resendOutbox(deps.controlPool, request.id);
      resent.push(request.id);
    }
  }
  await dispatchOutbox(deps);
  return resent;
}
