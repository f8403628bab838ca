import type pg from "pg";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { failedDrills, listRequests, type AlertLevel } from "../requests/index.ts";
import { getHealth, getStatus } from "../runner/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { withLedgerClient } from "../session/session.ts";
import type { MigrationState } from "../runner/types.ts";
import { targetHealthProblems } from "./fleet-health.ts";

/** One thing wrong with an environment right now, identified by a key that stays the same while it lasts. */
export interface HealthProblem {
  key: string;
  level: AlertLevel;
  version: string | null;
  message: string;
  suggestedCommand: string | null;
}

/** How far back a failed job still counts as a problem when nothing has fixed it since. */
const FAILED_JOB_WINDOW_HOURS = 7 * 24;

function hoursAgo(hours: number): string {
  return hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min ago` : `${hours.toFixed(1)} h ago`;
}

async function ledgerProblems(environment: Environment): Promise<HealthProblem[]> {
  const rows = await getHealth(environment);
  return rows
    .filter((row) => row.alertLevel === "CRITICAL" || row.alertLevel === "WARNING")
    .map((row) => ({
      // The same key shape as the ledger's system_notifications.dedupe_key.
      key: `migration_health:${row.version}:${row.status}`,
      level: row.alertLevel as AlertLevel,
      version: row.version,
      message:
        row.healthStatus === "ROLLBACK_FAILED"
          ? `the rollback of migration ${row.version} (${row.description}) failed: it is still applied (applied ${hoursAgo(row.hoursSinceApplication)})`
          : row.advice
            ? `migration ${row.version} (${row.description}) is ${row.advice}`
            : `migration ${row.version} (${row.description}) is ${row.status.replace("_", " ")}, since ${hoursAgo(row.hoursSinceApplication)}`,
      suggestedCommand:
        row.status === "failed" || row.healthStatus === "ROLLBACK_FAILED" ? `/migrate history ${environment.name}` : `/migrate plan ${environment.name}`,
    }));
}

function driftProblems(environment: Environment, migrations: MigrationState[]): HealthProblem[] {
  return migrations
    .filter((migration) => migration.drift)
    .map((migration) => ({
      key: `drift:${migration.version}`,
      level: "WARNING" as const,
      version: migration.version,
      message: `${migration.path ?? migration.version} changed on disk after it was applied: the database no longer matches the file`,
      suggestedCommand: `/migrate verify ${migration.version} ${environment.name}`,
    }));
}

/** Keeps system_notifications in step with the ledger, and lists indexes a failed CONCURRENTLY build left INVALID. */
async function databaseProblems(environment: Environment): Promise<HealthProblem[]> {
  return withLedgerClient(environment, async (client) => {
    await client.query(inLedgerSchema("SELECT public.alert_migration_issues()", environment.ledgerSchema));
    const { rows } = await client.query<{ index: string; table: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS index, i.indrelid::regclass::text AS table
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid
        ORDER BY 1`,
    );
    return rows.map((row) => ({
      key: `invalid-index:${row.index}`,
      level: "CRITICAL" as const,
      version: null,
      message: `index ${row.index} on ${row.table} is INVALID (a concurrent build failed): queries do not use it, writes still maintain it`,
      suggestedCommand: `/migrate verify ${environment.name}`,
    }));
  });
}

/** Failed jobs whose goal nothing has reached since, unless the ledger already reports that version failed. */
async function failedJobProblems(controlPool: pg.Pool, environment: Environment, migrations: MigrationState[]): Promise<HealthProblem[]> {
  const stateOf = new Map(migrations.map((migration) => [migration.version, migration.state]));
  const since = Date.now() - FAILED_JOB_WINDOW_HOURS * 3_600_000;
  const failed = await listRequests(controlPool, { environment: environment.name, statuses: ["failed"] });
  return failed
    .filter((request) => request.updatedAt.getTime() >= since)
    .filter((request) =>
      request.kind === "apply"
        ? request.versions.some((version) => stateOf.get(version) !== "applied") &&
          !request.versions.some((version) => stateOf.get(version) === "failed")
        : stateOf.get(request.versions[0]!) === "applied",
    )
    .map((request) => ({
      key: `failed-job:${request.id}`,
      level: "WARNING" as const,
      version: request.versions[0] ?? null,
      message: `the ${request.kind} job of ${request.versions.join(", ")} requested by ${request.requestedBy} failed: ${request.error ?? "no error recorded"}`,
      suggestedCommand: `/migrate status ${environment.name}`,
    }));
}

/** Rollbacks a drill could no longer prove: one WARNING each, until a drill proves it again (src/runner/drill.ts). */
async function drillProblems(controlPool: pg.Pool, environment: Environment): Promise<HealthProblem[]> {
  return (await failedDrills(controlPool, environment.name)).map((failure) => ({
    key: `drill:${failure.version}`,
    level: "WARNING" as const,
    version: failure.version,
    message: `the rollback of ${failure.version} no longer proves on a copy of ${environment.name} (drill of ${failure.drilledAt.toISOString().slice(0, 16).replace("T", " ")} UTC): ${failure.differences.join("; ").slice(0, 600)}`,
    suggestedCommand: `rookery drill --env ${environment.name}`,
  }));
}

/** Everything the health poll checks in one environment: ledger health, drift, INVALID indexes, failed jobs. */
export async function collectHealthProblems(config: Config, controlPool: pg.Pool, environment: Environment): Promise<HealthProblem[]> {
  const status = await getStatus(environment, readCatalog(config.migrationsDir, config.layout));
  const [ledger, database, jobs, drills, targets] = await Promise.all([
    ledgerProblems(environment),
    databaseProblems(environment),
    failedJobProblems(controlPool, environment, status.migrations),
    drillProblems(controlPool, environment),
    // Across targets (docs/targets.md): the other databases, grouped.
    targetHealthProblems(config, environment),
  ]);
  return [...ledger, ...driftProblems(environment, status.migrations), ...database, ...jobs, ...drills, ...targets];
}
