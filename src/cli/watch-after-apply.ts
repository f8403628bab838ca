import type { Catalog } from "../catalog/index.ts";
import { formatDuration, type Config, type Environment } from "../config/index.ts";
import { onDatabases, describeCheck, describeOutcome, planWatch, watchInForeground, type WatchOutcome, type WatchPlan, type WatchScope } from "../runner/index.ts";
import type { ApplyReport, RunContext } from "../runner/types.ts";
import type { CliIO } from "./command.ts";

/**
 * After an apply in an environment with autoRollback (docs/auto-rollback.md): its watch, in this process or
 * handed to the queue. Loaded by `rookery apply` only when there is a watch (src/cli/watch-choice.ts decides).
 */
export { watchSucceeded } from "../runner/index.ts";

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
