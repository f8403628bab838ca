import PQueue from "p-queue";
import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import type { FleetDatabase } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { applyMigrations } from "../runner/index.ts";
import { databaseLabel } from "../session/session.ts";
import type { ApplyOptions, MigrationFailure, ProgressListener } from "../runner/types.ts";
import { databaseEnvironment, type FleetTarget } from "./resolve.ts";
import { crossesFailureLimit, planWaves } from "./waves.ts";

export type DatabaseStatus = "applied" | "up_to_date" | "failed" | "not_started";

/** What happened on one database of a target: what ran where. */
export interface DatabaseOutcome {
  target: string;
  /** The fleet database's name; for a single-database target, the target's name. */
  database: string;
  /** host:port/database, never the password. */
  where: string;
  /** 1-based; a single-database target is one wave. */
  wave: number;
  status: DatabaseStatus;
  applied: string[];
  failed: MigrationFailure | null;
  /** A failure before any migration ran (unreachable, lock wait, a changed file). */
  error: string | null;
  durationMs: number;
}

export interface DatabaseRun {
  target: string;
  database: string;
  environment: Environment;
  catalog: Catalog;
  actor: string;
  wave: number;
  options?: ApplyOptions;
  onProgress?: ProgressListener;
  logger?: Logger;
  /** A failure before any migration ran is thrown, for a caller that retries some of them (the queue). */
  rethrow?: boolean;
  /** The request whose job this is (the queue), recorded on each applied event. */
  requestId?: string;
}

export function notStarted(target: string, database: string, url: string, wave: number): DatabaseOutcome {
  return { target, database, where: databaseLabel(url), wave, status: "not_started", applied: [], failed: null, error: null, durationMs: 0 };
}

/**
 * Applies what is pending on one database (its own connection, lock and ledger, closed afterwards) and
 * says what happened; an error is an outcome, not an exception, so a fleet carries on counting.
 */
export async function applyDatabase(run: DatabaseRun): Promise<DatabaseOutcome> {
  const started = performance.now();
  const outcome = notStarted(run.target, run.database, run.environment.databaseUrl, run.wave);
  const prefix = `[${run.target}${run.database === run.target ? "" : `/${run.database}`}] `;
  const onProgress: ProgressListener | undefined = run.onProgress && ((event) => run.onProgress!({ ...event, message: prefix + event.message }));
  try {
    const report = await applyMigrations({ environment: run.environment, catalog: run.catalog, actor: run.actor, onProgress, logger: run.logger, requestId: run.requestId }, run.options);
    outcome.applied = report.applied.map((migration) => migration.version);
    outcome.failed = report.failed ?? null;
    outcome.status = report.failed ? "failed" : outcome.applied.length > 0 ? "applied" : "up_to_date";
  } catch (error) {
    if (run.rethrow) throw error;
    outcome.status = "failed";
    outcome.error = describeError(error);
  }
  outcome.durationMs = Math.round(performance.now() - started);
  return outcome;
}

export interface FleetRun {
  target: FleetTarget;
  databases: FleetDatabase[];
  catalog: Catalog;
  actor: string;
  /** `--parallel N`: overrides the fleet's maxParallel. */
  parallel?: number;
  options?: ApplyOptions;
  onProgress?: ProgressListener;
  onDatabase?: (outcome: DatabaseOutcome) => void;
  logger?: Logger;
  beforeWave?: BeforeWave;
}

/**
 * Asked before a wave starts (the deployment policy, from the CLI): the databases of it that may not run,
 * each with why. Any refusal halts there: nothing of that wave starts, the refused databases are failed
 * with their reason, later waves are not started.
 */
export type BeforeWave = (target: string, databases: FleetDatabase[]) => Promise<Map<string, string>>;

/** The refused databases as failed outcomes, and why the run halts. */
export function refusedWave(target: string, databases: FleetDatabase[], refused: Map<string, string>, wave: number, waves: number): { outcomes: DatabaseOutcome[]; halted: string } {
  const outcomes = databases
    .filter((database) => refused.has(database.name))
    .map((database) => ({ ...notStarted(target, database.name, database.databaseUrl, wave), status: "failed" as const, error: refused.get(database.name)! }));
  const names = outcomes.map((outcome) => outcome.database).join(", ");
  return { outcomes, halted: `${waves > 1 ? `wave ${wave} of ${waves} ` : ""}refused by the deployment policy on ${names}` };
}

export interface FleetReport {
  waves: number;
  /** Why later databases did not start, or null when every wave ran. */
  halted: string | null;
  databases: DatabaseOutcome[];
}

/**
 * A fleet in waves (src/targets/waves.ts), at most maxParallel databases at once. When a failure crosses
 * maxFailurePercent nothing new starts: databases already running finish, the rest are not started.
 */
export async function applyFleet(run: FleetRun): Promise<FleetReport> {
  const { fleet } = run.target;
  const waves = planWaves(run.databases, fleet);
  const outcomes = new Map<string, DatabaseOutcome>();
  waves.forEach((wave, index) => wave.forEach((database) => outcomes.set(database.name, notStarted(run.target.name, database.name, database.databaseUrl, index + 1))));
  let halted: string | null = null;
  let failed = 0;
  for (const [index, wave] of waves.entries()) {
    if (halted) break;
    const refused = (await run.beforeWave?.(run.target.name, wave)) ?? new Map<string, string>();
    if (refused.size > 0) {
      const refusal = refusedWave(run.target.name, wave, refused, index + 1, waves.length);
      for (const outcome of refusal.outcomes) {
        outcomes.set(outcome.database, outcome);
        run.onDatabase?.(outcome);
      }
      halted = refusal.halted;
      break;
    }
    const queue = new PQueue({ concurrency: run.parallel ?? fleet.maxParallel });
    for (const database of wave) {
      void queue.add(async () => {
        const outcome = await applyDatabase({
          target: run.target.name,
          database: database.name,
          environment: databaseEnvironment(run.target, database),
          catalog: run.catalog,
          actor: run.actor,
          wave: index + 1,
          options: run.options,
          onProgress: run.onProgress,
          logger: run.logger,
        });
        outcomes.set(database.name, outcome);
        run.onDatabase?.(outcome);
        if (outcome.status === "failed") failed += 1;
        if (!halted && crossesFailureLimit(failed, run.databases.length, fleet)) {
          halted = `wave ${index + 1} of ${waves.length} halted: ${failed} of ${run.databases.length} database(s) failed (maxFailurePercent ${fleet.maxFailurePercent})`;
          queue.clear();
        }
      });
    }
    await queue.onIdle();
  }
  return { waves: waves.length, halted, databases: [...outcomes.values()] };
}
