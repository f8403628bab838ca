import type { Config, Environment } from "../config/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import type { CliIO } from "./command.ts";

export const WATCH_HELP = `Automatic rollback (environments with autoRollback, see docs/auto-rollback.md):
  --watch         after applying, watch in the foreground for watchMinutes: verify, the files'
                  -- rookery:check lines and the environment's checks, every interval. A failing
                  check rolls the applied versions back (newest first) and exits 1 naming it.
  Without --watch the watch is handed to the queue when REDIS_URL is set (a \`rookery worker\`
  runs it; the outcome goes to the alert channel), else the apply is refused before it runs.`;

/** Where a watch goes after the apply: this process, the queue, or nowhere (no autoRollback). */
export type WatchChoice = "foreground" | "queue" | "none";

async function redisAnswers(url: string): Promise<string | undefined> {
  const { redisConnection } = await import("../queue/index.ts");
  const redis = redisConnection(url, "probe");
  try {
    await redis.ping();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}

/**
 * Before anything runs: --watch only where there is a watch; without it, an autoRollback environment hands
 * the watch to the queue when Redis is configured (and answers), and is refused otherwise.
 */
export async function checkWatchChoice(environment: Environment, watch: boolean, io: CliIO, config: Config): Promise<WatchChoice> {
  if (!watch && environment.autoRollback && io.env.REDIS_URL) {
    const problem = await redisAnswers(config.redisUrl);
    if (problem === undefined) return "queue";
    throw new RookeryError(`${environment.name} rolls back automatically (autoRollback), and the queue that would run the watch does not answer (${problem}); nothing was applied`, {
      hint: "Start Redis, or run it again with --watch to watch in the foreground.",
    });
  }
  if (watch && !environment.autoRollback) {
    throw new UsageError(`--watch: ${environment.name} has no autoRollback configured, so there is nothing to watch`, {
      hint: `Add autoRollback: { watchMinutes: 15 } under environments.${environment.name} in the config, or drop --watch.`,
    });
  }
  if (!watch && environment.autoRollback) {
    throw new UsageError(`${environment.name} rolls back automatically when a check fails after an apply (autoRollback), and this apply would skip that watch`, {
      hint: "Run it again with --watch to watch in the foreground (exit 1 when it rolled back), or set REDIS_URL so a `rookery worker` runs it.",
    });
  }
  return watch ? "foreground" : "none";
}
