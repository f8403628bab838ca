import type { Catalog } from "../catalog/index.ts";
import { formatDuration, type Config, type Environment } from "../config/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { onDatabases, describeCheck, describeOutcome, planWatch, watchInForeground, type WatchOutcome, type WatchPlan, type WatchScope } from "../runner/index.ts";
import type { ApplyReport, RunContext } from "../runner/types.ts";
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

/** The watch of what a single-database run applied, or undefined when it applied nothing. */
export function planOfApply(ctx: RunContext, catalog: Catalog, report: ApplyReport): WatchPlan | undefined {
  return planWatch(ctx.environment, report.applied.map((migration) => catalog.byVersion.get(migration.version)!));
}

/** A watch stored in the control database and put on the queue for a worker. */
export async function handWatchToQueue(io: CliIO, config: Config, environment: Environment, actor: string, plan: WatchPlan | undefined): Promise<{ watchId: string } | undefined> {
  if (!plan) return undefined;
  const [{ beginWatch, createJobQueue }, { ensureControlSchema }, { createPool }, { createLogger }] = await Promise.all([
    import("../queue/index.ts"),
    import("../requests/index.ts"),
    import("../db/index.ts"),
    import("../log/logger.ts"),
  ]);
  const controlPool = createPool(config.controlDatabaseUrl, { max: 2, applicationName: "rookery-cli" });
  const queue = createJobQueue(config.redisUrl, config.queuePrefix);
  try {
    await ensureControlSchema(controlPool);
    const watch = await beginWatch({ controlPool, queue, logger: createLogger({ level: "silent" }) }, { requestId: null, actor, plan });
    io.stdout(
      `the watch is handed to the queue (${config.queuePrefix}): ${formatDuration(plan.endsAt.getTime() - plan.startedAt.getTime())}, every ${formatDuration(plan.intervalMs)}, ` +
        `checks ${plan.checks.map((check) => check.name).join(", ")}${onDatabases(plan.databases)}; a \`rookery worker\` runs it, and a rollback is posted to ${environment.alertChannel ?? "the worker's log"} (watch ${watch.id})
`,
    );
    return { watchId: watch.id };
  } finally {
    await queue.close().catch(() => {});
    await controlPool.end().catch(() => {});
  }
}

/** A watch in the foreground, one line per round on stderr; undefined when there is nothing to watch. */
export async function watchApplied(io: CliIO, scope: RunContext | WatchScope, plan: WatchPlan | undefined): Promise<WatchOutcome | undefined> {
  if (!plan) return undefined;
  io.stderr(
    `watching ${plan.environment} for ${formatDuration(plan.endsAt.getTime() - plan.startedAt.getTime())}, every ${formatDuration(plan.intervalMs)}: ${plan.checks.map((check) => check.name).join(", ")}${onDatabases(plan.databases)}\n`,
  );
  const outcome = await watchInForeground(scope, plan, {
    onRound: (round, index) => {
      const failing = round.results.filter((result) => result.status !== "pass");
      const passing = `${round.results.length} checks pass${round.unreachable?.length ? `; unreachable, checked next round: ${round.unreachable.join("; ")}` : ""}`;
      io.stderr(`round ${index}: ${failing.length === 0 ? passing : failing.map(describeCheck).join("; ")}\n`);
    },
    onUnreachable: (error) => io.stderr(`round skipped, the database is unreachable: ${(error as Error).message}\n`),
  });
  io.stdout(`${describeOutcome(outcome)}\n`);
  return outcome;
}
