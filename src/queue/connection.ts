import type { RedisOptions as BullRedisOptions, RedisClient, RedisQueueBackend } from "bullmq";
import { Redis } from "ioredis";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";

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

/**
 * One log line when Redis goes away and one when it answers again, however many connections report
 * it and however often they retry: an outage must not fill the log (or stderr) with a line per retry.
 */
export interface RedisOutageLog {
  error(error: unknown): void;
  ready(): void;
}

export function redisOutageLog(logger: Logger | undefined, what: string): RedisOutageLog {
  let down = false;
  return {
    error(error) {
      if (down) return;
      down = true;
      logger?.warn({ err: describeError(error) }, `${what}: Redis does not answer; retrying until it does`);
    },
    ready() {
      if (!down) return;
      down = false;
      logger?.info(`${what}: Redis answers again`);
    },
  };
}

/** A connection of our own (health checks); the caller disconnects it. */
export function redisConnection(url: string, role: Role, outages?: RedisOutageLog): Redis {
  const redis = new Redis(url, roleOptions(role));
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event would crash the process.
  redis.on("error", (error) => outages?.error(error));
  redis.on("ready", () => outages?.ready());
  return redis;
}

/** A BullMQ Queue or Worker on Redis (the default backend). */
interface RedisQueueOwner {
  getBackend(): RedisQueueBackend;
}

/**
 * The ioredis clients of a BullMQ Queue or Worker, through its Redis backend's public `client` and
 * `blockingClient`: each resolves once that connection first answered.
 */
function clientsOf(owner: RedisQueueOwner): Promise<RedisClient>[] {
  const backend = owner.getBackend();
  return [backend.client, backend.blockingClient].filter((client) => client !== undefined);
}

/**
 * Every ioredis client of a BullMQ Queue or Worker reports to `outages`, for good. BullMQ removes its own
 * 'error' listener when it closes a client; a client still reconnecting during an outage would then
 * print "[ioredis] Unhandled error event" to stderr, outside the log. A client that never connected is
 * BullMQ's to end: closing one still connecting disconnects it.
 */
export function watchRedisClients(owner: RedisQueueOwner & { on(event: "error", listener: (error: Error) => void): unknown }, outages: RedisOutageLog): void {
  owner.on("error", (error) => outages.error(error));
  for (const connected of clientsOf(owner)) {
    void connected
      .then((client) => {
        client.on("error", (error: unknown) => outages.error(error));
        client.on("ready", () => outages.ready());
      })
      .catch(() => {});
  }
}

/**
 * Ends the clients' reconnecting at once: for a shutdown that cannot wait for Redis any longer. ioredis's
 * own disconnect: BullMQ's `disconnect()` waits for each connection's 'end', which a client reconnecting
 * through an outage never emits, so its blocking connection would be left retrying.
 */
export function dropRedisClients(owner: RedisQueueOwner): void {
  for (const connected of clientsOf(owner)) void connected.then((client) => client.disconnect()).catch(() => {});
}

/** What a newcomer without Redis needs to read: how to get one, or where to point Rookery. */
export const GET_A_REDIS_HINT =
  "No Redis yet? `docker-compose up -d postgres redis` in the Rookery folder starts one on 127.0.0.1:6379; or set REDIS_URL to one you have.";

/** Whether Redis answers a PING within a second: one try, no reconnecting. */
export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
