import type { RedisOptions as BullRedisOptions } from "bullmq";
import { Redis } from "ioredis";

/** worker: blocks and waits through outages; producer: fails fast; probe: waits for the first connect, briefly. */
type Role = "worker" | "producer" | "probe";

const RECONNECT = { connectTimeout: 2000, retryStrategy: (times: number) => Math.min(times * 500, 5000) };

/**
 * Workers block on Redis and must wait through an outage (maxRetriesPerRequest null, as BullMQ requires).
 * A producer must instead fail fast, so an approval made while Redis is down stays in the outbox for the
 * reconciler rather than hanging the click. A probe made right after start must not call Redis down
 * merely because it is still connecting, so it queues its command until the (short) connect timeout.
 */
function roleOptions(role: Role) {
  if (role === "worker") return { maxRetriesPerRequest: null };
  if (role === "probe") return { maxRetriesPerRequest: 1, ...RECONNECT };
  return { maxRetriesPerRequest: 1, enableOfflineQueue: false, ...RECONNECT };
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
