import type { Catalog } from "../catalog/index.ts";
import { formatDuration, type Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { describeCheck, describeOutcome, planWatch, watchInForeground, type WatchOutcome } from "../runner/index.ts";
import type { ApplyReport, RunContext } from "../runner/types.ts";
import type { CliIO } from "./command.ts";

export const WATCH_HELP = `Automatic rollback (environments with autoRollback, see docs/auto-rollback.md):
  --watch         after applying, watch in the foreground for watchMinutes: verify, the files'
                  -- rookery:check lines and the environment's checks, every interval. A failing
                  check rolls the applied versions back (newest first) and exits 1 naming it.
  Without --watch such an environment is refused: the watch is never skipped silently.`;

/** Before anything runs: --watch only where there is a watch, and no apply in an autoRollback environment without one. */
export function checkWatchChoice(environment: Environment, watch: boolean): void {
  if (watch && !environment.autoRollback) {
    throw new UsageError(`--watch: ${environment.name} has no autoRollback configured, so there is nothing to watch`, {
      hint: `Add autoRollback: { watchMinutes: 15 } under environments.${environment.name} in the config, or drop --watch.`,
    });
  }
  if (!watch && environment.autoRollback) {
    throw new UsageError(`${environment.name} rolls back automatically when a check fails after an apply (autoRollback), and this apply would skip that watch`, {
      hint: "Run it again with --watch to watch in the foreground (exit 1 when it rolled back).",
    });
  }
}

/** The watch of what this run applied, in the foreground; undefined when nothing was applied. */
export async function watchApplied(io: CliIO, ctx: RunContext, catalog: Catalog, report: ApplyReport): Promise<WatchOutcome | undefined> {
  const applied = report.applied.map((migration) => catalog.byVersion.get(migration.version)!);
  const plan = planWatch(ctx.environment, applied);
  if (!plan) return undefined;
  io.stderr(
    `watching ${plan.environment} for ${formatDuration(plan.endsAt.getTime() - plan.startedAt.getTime())}, every ${formatDuration(plan.intervalMs)}: ${plan.checks.map((check) => check.name).join(", ")}\n`,
  );
  const outcome = await watchInForeground(ctx, plan, {
    onRound: (round, index) => {
      const failing = round.results.filter((result) => result.status !== "pass");
      io.stderr(`round ${index}: ${failing.length === 0 ? `${round.results.length} checks pass` : failing.map(describeCheck).join("; ")}\n`);
    },
    onUnreachable: (error) => io.stderr(`round skipped, the database is unreachable: ${(error as Error).message}\n`),
  });
  io.stdout(`${describeOutcome(outcome)}\n`);
  return outcome;
}
