import { Queue, type Job } from "bullmq";
import type { ChangeRequest } from "../requests/index.ts";
import { redisOptions } from "./connection.ts";
import { JOBS_QUEUE, payloadFor, type JobKind, type JobPayload } from "./payloads.ts";

export interface RetryPolicy {
  /** Attempts in all, for transient failures only (a SQL error is never retried). */
  attempts: number;
  /** First backoff delay; doubles each attempt. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 5000 };

/** How long an enqueue may wait for Redis before the outbox keeps the job for later. */
const ENQUEUE_TIMEOUT_MS = 5000;

export function createJobQueue(redisUrl: string, prefix: string): Queue {
  const queue = new Queue(JOBS_QUEUE, { connection: redisOptions(redisUrl, "producer"), prefix });
  queue.on("error", () => {});
  return queue;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function addJob<K extends JobKind>(
  queue: Queue,
  kind: K,
  data: JobPayload<K>,
  options: { jobId?: string; delay?: number; retry?: RetryPolicy },
): Promise<Job> {
  const payload = payloadFor(kind, data);
  const retry = options.retry ?? DEFAULT_RETRY;
  return withTimeout(
    queue.add(kind, payload, {
      jobId: options.jobId,
      delay: options.delay,
      attempts: retry.attempts,
      backoff: { type: "exponential", delay: retry.backoffMs },
      // Finished jobs stay a week: a second enqueue of the same request id within it stays a no-op.
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    }),
    ENQUEUE_TIMEOUT_MS,
    `enqueueing ${kind}`,
  );
}

/** The job of an approved request; its id is the request id, so enqueueing it twice adds it once. */
export function enqueueRequestJob(queue: Queue, request: ChangeRequest, retry?: RetryPolicy): Promise<Job> {
  const delay = request.notBefore ? Math.max(0, request.notBefore.getTime() - Date.now()) : undefined;
  return addJob(queue, request.kind, { requestId: request.id, environment: request.environment }, { jobId: request.id, delay, retry });
}

export function enqueueVerify(queue: Queue, payload: JobPayload<"verify">): Promise<Job> {
  return addJob(queue, "verify", payload, { retry: { attempts: 3, backoffMs: 2000 } });
}

/** BullMQ job ids of a watch: one per round, so a round enqueued twice (reconciler, restart) runs once. */
export function watchJobId(watchId: string, round: number | "now"): string {
  return `watch-${watchId}-${round}`;
}

/** The watch's next round, due at `at`; or at once, for "Roll back now". */
export function enqueueWatchRound(queue: Queue, watchId: string, round: number | "now", at: Date = new Date()): Promise<Job> {
  const now = round === "now";
  return addJob(queue, "watch", { watchId, round: now ? 1 : round, now }, {
    jobId: watchJobId(watchId, round),
    delay: Math.max(0, at.getTime() - Date.now()),
    retry: { attempts: 3, backoffMs: 1000 },
  });
}
