import PQueue from "p-queue";
import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import type { RunContext } from "./types.ts";
import type { CheckResult, WatchCheck } from "./watch-checks.ts";
import { watchChecksFor } from "./watch-checks.ts";
import {
  databaseName,
  isConnectionProblem,
  rollBackWatched,
  runWatchRound,
  type DatabaseRollback,
  type WatchedDatabase,
  type WatchOutcome,
  type WatchPlan,
  type WatchRound,
  type WatchScope,
} from "./watch.ts";

/**
 * The watch after an apply across targets (docs/targets.md, docs/auto-rollback.md): every database the
 * request applied is checked each round as one database would be (its ledger's integrity test of what was
 * applied there, its files' `-- rookery:check` lines, the environment's checks). A check failing on one
 * database rolls back that database's target: a single-database target on its own database, a fleet on
 * every database of it that applied (the tenants stay on one schema). Other targets keep their change.
 */

/** A watched database and what it runs on. */
export interface WatchSite extends WatchedDatabase {
  ctx: RunContext;
}

/** What was applied on one database, for planWatchAcross. */
export interface AppliedOn {
  target: string;
  database: string;
  migrations: Migration[];
}

/** The watch of an apply across targets, or undefined where there is none (no autoRollback, nothing applied). */
export function planWatchAcross(environment: Environment, applied: AppliedOn[], startedAt: Date = new Date()): WatchPlan | undefined {
  const settings = environment.autoRollback;
  const databases: WatchedDatabase[] = applied
    .filter((entry) => entry.migrations.length > 0)
    .map((entry) => ({ target: entry.target, database: entry.database, versions: entry.migrations.map((migration) => migration.version), checks: watchChecksFor(environment, entry.migrations) }));
  if (!settings || databases.length === 0) return undefined;
  const versions = [...new Set(databases.flatMap((database) => database.versions))];
  const checks = new Map<string, WatchCheck>();
  for (const check of databases.flatMap((database) => database.checks)) if (!checks.has(check.name)) checks.set(check.name, check);
  return {
    environment: environment.name,
    versions,
    startedAt,
    endsAt: new Date(startedAt.getTime() + settings.watchMinutes * 60_000),
    intervalMs: settings.interval,
    checks: [...checks.values()],
    onCheckError: settings.onCheckError,
    databases,
  };
}

/** The plan of one database of the watch: its versions and checks. */
function planOf(plan: WatchPlan, site: WatchedDatabase): WatchPlan {
  return { ...plan, versions: site.versions, checks: site.checks, databases: undefined };
}

/** `work` on each site, `width` at once, results in the sites' order. */
async function eachSite<T>(sites: WatchSite[], width: number, work: (site: WatchSite) => Promise<T>): Promise<T[]> {
  const queue = new PQueue({ concurrency: Math.max(1, width) });
  return Promise.all(sites.map((site) => queue.add(() => work(site)) as Promise<T>));
}

const at = (site: WatchedDatabase) => ({ target: site.target, database: site.database });

/** One round on every database, `width` at once; a database that cannot be reached is left for the next round. */
export async function runWatchRoundAcross(sites: WatchSite[], plan: WatchPlan, now: Date, width: number): Promise<WatchRound> {
  const rounds = await eachSite(sites, width, async (site) => {
    try {
      return { site, round: await runWatchRound(site.ctx, planOf(plan, site), now) };
    } catch (error) {
      if (!isConnectionProblem(error)) throw error;
      return { site, error, unreachable: `${databaseName(site)}: ${describeError(error)}` };
    }
  });
  const results: CheckResult[] = [];
  const notApplied: string[] = [];
  const unreachable: string[] = [];
  for (const entry of rounds) {
    if (entry.unreachable) unreachable.push(entry.unreachable);
    if (!entry.round) continue;
    results.push(...entry.round.results.map((result) => ({ ...result, ...at(entry.site) })));
    notApplied.push(...entry.round.notApplied.map((version) => `${version} on ${databaseName(entry.site)}`));
  }
  // None could be reached: the round is skipped, as for one database.
  if (unreachable.length === sites.length && sites.length > 0) throw rounds[0]!.error;
  const errors = results.filter((result) => result.status === "error");
  const failing = results.find((result) => result.status === "fail") ?? (plan.onCheckError === "rollback" ? errors[0] : undefined);
  return { at: now, results, errors, notApplied, unreachable, ...(failing ? { failing } : {}) };
}

/**
 * The databases a failing check rolls back: every database of its target that the request applied (a
 * fleet's tenants stay on one schema); every watched database when no database set it off (an approver's
 * "Roll back now").
 */
export function rollbackScope<T extends WatchedDatabase>(sites: T[], failing: CheckResult): T[] {
  return failing.target ? sites.filter((site) => site.target === failing.target) : sites;
}

/** Rolls back the scope's databases, `width` at once, each as one database would be; says what happened on each. */
export async function rollBackAcross(sites: WatchSite[], plan: WatchPlan, failing: CheckResult, width: number): Promise<WatchOutcome> {
  const databases = await eachSite(rollbackScope(sites, failing), width, async (site): Promise<DatabaseRollback> => {
    const outcome = await rollBackWatched(site.ctx, planOf(plan, site), failing);
    if (outcome.status === "not_rolled_back") return { ...at(site), status: outcome.status, rolledBack: [], builtOnBy: outcome.builtOnBy };
    if (outcome.status === "rollback_failed") return { ...at(site), status: outcome.status, rolledBack: outcome.rolledBack, version: outcome.version, error: outcome.error };
    return { ...at(site), status: "rolled_back", rolledBack: outcome.status === "rolled_back" ? outcome.rolledBack : [] };
  });
  const rolledBack = [...new Set(databases.flatMap((database) => database.rolledBack))].sort((a, b) => b.localeCompare(a));
  const broken = databases.find((database) => database.status === "rollback_failed");
  if (broken) return { status: "rollback_failed", failing, rolledBack, version: broken.version!, error: `${databaseName(broken)}: ${broken.error}`, databases };
  const builtOn = databases.filter((database) => database.status === "not_rolled_back");
  if (builtOn.length > 0) {
    const builtOnBy = [...new Set(builtOn.flatMap((database) => database.builtOnBy!.map((version) => `${version} on ${databaseName(database)}`)))];
    return { status: "not_rolled_back", failing, builtOnBy, databases };
  }
  return { status: "rolled_back", failing, rolledBack, databases };
}

/** The watch across these databases, for watchInForeground and the queue's watch job. */
export function acrossDatabases(sites: WatchSite[], width: number): WatchScope {
  return {
    round: (plan, now) => runWatchRoundAcross(sites, plan, now, width),
    rollBack: (plan, failing) => rollBackAcross(sites, plan, failing, width),
  };
}
