import { UnrecoverableError } from "bullmq";
import type pg from "pg";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import { verifyMigrations } from "../runner/index.ts";
import type { VerifyReport } from "../runner/types.ts";
import { postAlerts } from "./alerts.ts";
import { collectHealthProblems } from "./health-problems.ts";
import type { HealthAlert, Notifier } from "./notifier.ts";
import type { JobPayload } from "./payloads.ts";

export interface CheckJobDeps {
  config: Config;
  controlPool: pg.Pool;
  notifier: Notifier;
  logger: Logger;
}

function environmentOf(config: Config, name: string): Environment {
  const environment = config.environments[name];
  if (!environment) throw new UnrecoverableError(`environment "${name}" is not in the config (${config.source})`);
  return environment;
}

export async function processVerifyJob(deps: CheckJobDeps, payload: JobPayload<"verify">): Promise<VerifyReport> {
  const environment = environmentOf(deps.config, payload.environment);
  return verifyMigrations(environment, readCatalog(deps.config.migrationsDir, deps.config.layout), payload.version);
}

/**
 * One health poll of one environment. A session advisory lock on the control database keeps two polls
 * of the same environment (a slow one and the next) from posting the same alert twice.
 */
export async function processHealthPollJob(deps: CheckJobDeps, payload: JobPayload<"health-poll">): Promise<HealthAlert[]> {
  const environment = environmentOf(deps.config, payload.environment);
  const lockClient = await deps.controlPool.connect();
  try {
    await lockClient.query("SELECT pg_advisory_lock(hashtext($1))", [`rookery_control.alerts:${environment.name}`]);
    const problems = await collectHealthProblems(deps.config, deps.controlPool, environment);
    return await postAlerts(deps.controlPool, deps.notifier, deps.logger, environment, problems);
  } finally {
    await lockClient.query("SELECT pg_advisory_unlock(hashtext($1))", [`rookery_control.alerts:${environment.name}`]).catch(() => {});
    lockClient.release();
  }
}
