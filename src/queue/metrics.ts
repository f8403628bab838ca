import type { Queue } from "bullmq";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The queue's Prometheus metrics, in a registry of their own that /metrics renders. */
export const metricsRegistry = new Registry();

export const jobsTotal = new Counter({
  name: "rookery_jobs_total",
  help: "Jobs finished, by kind and outcome (succeeded, failed, retried).",
  labelNames: ["kind", "outcome"] as const,
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: "rookery_job_duration_seconds",
  help: "Time a worker spent on one job attempt, by kind.",
  labelNames: ["kind"] as const,
  buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
  registers: [metricsRegistry],
});

const trackedQueues = new Set<Queue>();

new Gauge({
  name: "rookery_queue_depth",
  help: "Jobs in the queue by state, read from Redis when scraped.",
  labelNames: ["state"] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const queue of trackedQueues) {
      // Redis down: no depth rather than no metrics at all; /healthz says why.
      const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized").catch(() => ({}));
      for (const [state, count] of Object.entries(counts)) this.inc({ state }, count);
    }
  },
});

/** Report this queue's depth on /metrics (until `untrackQueue`). */
export function trackQueue(queue: Queue): void {
  trackedQueues.add(queue);
}

export function untrackQueue(queue: Queue): void {
  trackedQueues.delete(queue);
}
