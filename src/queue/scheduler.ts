import type { Config } from "../config/index.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { createJobQueue } from "./jobs-queue.ts";
import { payloadFor } from "./payloads.ts";

export interface SchedulerDeps {
  logger?: Logger;
}

export interface RunningScheduler {
  /** The scheduler ids it keeps: "health-poll:<environment>". */
  schedulerIds: string[];
  close(): Promise<void>;
}

export function healthPollSchedulerId(environment: string): string {
  return `health-poll:${environment}`;
}

/**
 * One BullMQ job scheduler per environment polls its health every healthPollSeconds. Upserting is idempotent,
 * so every process may call this on start; a changed interval replaces the old one. Schedulers of
 * environments removed from the config are removed too.
 */
export async function startScheduler(config: Config, deps: SchedulerDeps = {}): Promise<RunningScheduler> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel, name: "rookery-scheduler" });
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  const wanted = Object.values(config.environments).map((environment) => ({
    id: healthPollSchedulerId(environment.name),
    everyMs: environment.healthPollSeconds * 1000,
    data: payloadFor("health-poll", { environment: environment.name }),
  }));
  for (const scheduler of wanted) {
    await queue.upsertJobScheduler(
      scheduler.id,
      { every: scheduler.everyMs },
      { name: "health-poll", data: scheduler.data, opts: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 } },
    );
  }
  const wantedIds = new Set(wanted.map((scheduler) => scheduler.id));
  for (const existing of await queue.getJobSchedulers()) {
    if (existing.key.startsWith("health-poll:") && !wantedIds.has(existing.key)) await queue.removeJobScheduler(existing.key);
  }
  logger.info({ schedulers: [...wantedIds] }, "health polls scheduled");
  return {
    schedulerIds: [...wantedIds],
    async close() {
      await queue.close();
    },
  };
}
