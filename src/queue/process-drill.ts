import { UnrecoverableError } from "bullmq";
import type pg from "pg";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Drill } from "../config/index.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { recordDrill } from "../requests/index.ts";
import { drillRollbacks, type DrillReport } from "../runner/drill.ts";
import type { Notifier } from "./notifier.ts";
import type { JobPayload } from "./payloads.ts";

export interface DrillJobDeps {
  config: Config;
  controlPool: pg.Pool;
  notifier: Notifier;
  logger: Logger;
}

/** The job scheduler of a drill: one per environment drilled. */
export function drillSchedulerId(environment: string): string {
  return `drill:${environment}`;
}

const DEFAULT_MAX_MINUTES = 30;

/** The drill configured for an environment (`drills:` in the config), if any. */
export function drillOf(config: Config, environment: string): Drill | undefined {
  return (config.drills ?? []).find((drill) => drill.environment === environment);
}

/**
 * Runs one drill and reports it: the verdicts to the control database (a failed one stays a WARNING of the
 * health poll until it proves again) and the report to the alert channel. Two drills of one environment
 * never run at once: the second finds the advisory lock taken and ends, saying so.
 */
export async function runDrill(deps: DrillJobDeps, environmentName: string, maxMinutes?: number): Promise<DrillReport | { skipped: string }> {
  const environment = deps.config.environments[environmentName];
  if (!environment) throw new UnrecoverableError(`environment "${environmentName}" is not in the config (${deps.config.source})`);
  const lockClient = await deps.controlPool.connect();
  const key = `rookery_control.drill:${environment.name}`;
  try {
    const { rows } = await lockClient.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [key]);
    if (!rows[0]?.locked) return { skipped: `a drill of ${environment.name} is already running` };
    try {
      const minutes = maxMinutes ?? drillOf(deps.config, environment.name)?.maxMinutes ?? DEFAULT_MAX_MINUTES;
      let report: DrillReport;
      try {
        report = await drillRollbacks(environment, readCatalog(deps.config.migrationsDir, deps.config.layout), { maxMs: minutes * 60_000 });
      } catch (error) {
        // A drill that cannot run proves nothing: said in the alert channel, not only in a failed job.
        await deps.notifier
          .alert(environment, {
            key: `drill-failed:${environment.name}`,
            level: "WARNING",
            state: "new",
            version: null,
            message: `the rollback drill of ${environment.name} could not run: ${describeError(error)}`,
            since: new Date(),
            suggestedCommand: `rookery drill --env ${environment.name}`,
          })
          .catch((alertError: unknown) => deps.logger.warn({ err: describeError(alertError) }, "notifier failed (drill alert)"));
        throw error;
      }
      await recordDrill(deps.controlPool, report);
      try {
        await (deps.notifier.drillReport ?? (async () => deps.logger.info({ environment: environment.name, ...report.counts }, "drill finished")))(environment, report);
      } catch (error) {
        deps.logger.warn({ err: describeError(error) }, "notifier failed (drill report); the verdicts are recorded");
      }
      return report;
    } finally {
      await lockClient.query("SELECT pg_advisory_unlock(hashtext($1))", [key]).catch(() => {});
    }
  } finally {
    lockClient.release();
  }
}

export async function processDrillJob(deps: DrillJobDeps, payload: JobPayload<"drill">): Promise<DrillReport | { skipped: string }> {
  // The scheduler of a drill removed from the config is removed on start, but its next job may already
  // wait in Redis (overdue after a restart) and reach a worker first: a removed drill runs no more.
  if (!drillOf(deps.config, payload.environment)) {
    const skipped = `no drill of ${payload.environment} is configured any more (drills: in ${deps.config.source}); nothing was drilled`;
    deps.logger.info({ environment: payload.environment }, skipped);
    return { skipped };
  }
  return runDrill(deps, payload.environment);
}
