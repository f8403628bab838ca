import type { RedisOptions as BullRedisOptions } from "bullmq";
import { Redis } from "ioredis";

type Role = "worker" | "producer";

/**
 * Workers block on Redis and must wait through an outage (maxRetriesPerRequest null, as BullMQ requires).
 * A producer must instead fail fast, so an approval made while Redis is down stays in the outbox for the
 * reconciler rather than hanging the click.
 */
function roleOptions(role: Role) {
  if (role === "worker") return { maxRetriesPerRequest: null };
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 500, 5000),
  };
}

/** Connection options rather than a connection, so BullMQ owns (and closes) what it opens. */
export function redisOptions(url: string, role: Role): BullRedisOptions {
  return { url, ...roleOptions(role) };
}

/** A connection of our own (health checks); the caller disconnects it. */
export function redisConnection(url: string, role: Role): Redis {
  const redis = new Redis(url, roleOptions(role));
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event would crash the process.
  redis.on("error", () => {});
  return redis;
}
