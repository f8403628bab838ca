import { Redis } from "ioredis";

/**
 * Workers block on Redis and must wait through an outage (maxRetriesPerRequest null, as BullMQ requires).
 * A producer must instead fail fast, so an approval made while Redis is down stays in the outbox for the
 * reconciler rather than hanging the click.
 */
export function redisConnection(url: string, role: "worker" | "producer"): Redis {
  const redis =
    role === "worker"
      ? new Redis(url, { maxRetriesPerRequest: null })
      : new Redis(url, {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(times * 500, 5000),
        });
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event would crash the process.
  redis.on("error", () => {});
  return redis;
}
