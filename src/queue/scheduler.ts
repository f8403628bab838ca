import type { Config } from "../config/index.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { dropRedisClients, redisOutageLog, watchRedisClients } from "./connection.ts";
import { createJobQueue } from "./jobs-queue.ts";
import { payloadFor } from "./payloads.ts";
import { drillSchedulerId } from "./process-drill.ts";
import type { RepeatOptions } from "bullmq";

export interface SchedulerDeps {
  logger?: Logger;
  /** How often the schedulers are upserted again (Redis may have lost them); 0: only on start and on reconnect. */
  reassertEverySeconds?: number;
}

export interface RunningScheduler {
  /** The scheduler ids it keeps: "health-poll:<environment>", "drill:<environment>". */
  schedulerIds: string[];
  /** Upserts every scheduler again (idempotent) and removes those of environments no longer configured. */
  ensure(): Promise<void>;
  /** The scheduler ids Redis does not hold right now (for /healthz); throws when Redis does not answer. */
  missing(): Promise<string[]>;
  close(): Promise<void>;
  /** Gives up on `close`: drops the Redis connection at once. */
  abandon(): void;
}

export function healthPollSchedulerId(environment: string): string {
  return `health-poll:${environment}`;
}

/**
 * One BullMQ job scheduler per environment polls its health every healthPollSeconds. Upserting is idempotent,
 * so every process may call this on start; a changed interval replaces the old one. Schedulers of
 * environments removed from the config are removed too. Redis keeps them only as long as its data: after
 * a restart without persistence they are gone, so they are upserted again whenever the connection is
 * ready again and every `reassertEverySeconds` (a restart can be quicker than a reconnect is noticed).
 */
export async function startScheduler(config: Config, deps: SchedulerDeps = {}): Promise<RunningScheduler> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel, name: "rookery-scheduler" });
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  const outages = redisOutageLog(logger, "health-poll scheduler");
  const wanted = [
    ...Object.values(config.environments).map((environment) => ({
      id: healthPollSchedulerId(environment.name),
      name: "health-poll" as const,
      repeat: { every: environment.healthPollSeconds * 1000 } as RepeatOptions,
      data: payloadFor("health-poll", { environment: environment.name }),
    })),
    // Rollback drills (src/queue/process-drill.ts): kept, and re-asserted after Redis data loss, like the polls.
    ...(config.drills ?? []).map((drill) => ({
      id: drillSchedulerId(drill.environment),
      name: "drill" as const,
      repeat: ("everyMs" in drill.every ? { every: drill.every.everyMs } : { pattern: drill.every.pattern }) as RepeatOptions,
      data: payloadFor("drill", { environment: drill.environment }),
    })),
  ];
  const wantedIds = new Set(wanted.map((scheduler) => scheduler.id));
  const ensure = async () => {
    for (const scheduler of wanted) {
      await queue.upsertJobScheduler(scheduler.id, scheduler.repeat, {
        name: scheduler.name,
        data: scheduler.data,
        opts: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 },
      });
    }
    for (const existing of await queue.getJobSchedulers()) {
      const ours = existing.key.startsWith("health-poll:") || existing.key.startsWith("drill:");
      if (ours && !wantedIds.has(existing.key)) await queue.removeJobScheduler(existing.key);
    }
  };
  const reassert = () => void ensure().catch((error: unknown) => outages.error(error));
  await ensure();
  watchRedisClients(queue, outages);
  // The producer's client emits "ready" after every reconnect: the Redis behind it may be a new, empty one.
  queue.getBackend().on("ready", reassert);
  const everyMs = (deps.reassertEverySeconds ?? 15) * 1000;
  const timer = everyMs > 0 ? setInterval(reassert, everyMs) : undefined;
  timer?.unref();
  logger.info({ schedulers: [...wantedIds] }, "health polls scheduled");
  return {
    schedulerIds: [...wantedIds],
    ensure,
    async missing() {
      const present = new Set((await queue.getJobSchedulers()).map((scheduler) => scheduler.key));
      return [...wantedIds].filter((id) => !present.has(id));
    },
    async close() {
      if (timer) clearInterval(timer);
      await queue.close();
    },
    abandon() {
      if (timer) clearInterval(timer);
      dropRedisClients(queue);
    },
  };
}
