import type { Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { isUnreachable, DatabaseUnreachableError } from "../db/index.ts";
import { describeError, UsageError } from "../errors.ts";
import { readLedger } from "../ledger/index.ts";
import { NothingToRollbackError } from "./errors.ts";
import { rollbackMigration } from "./rollback.ts";
import { withLedgerClient } from "../session/session.ts";
import type { RunContext } from "./types.ts";
import { runWatchChecks, watchChecksFor, type CheckResult, type WatchCheck } from "./watch-checks.ts";

/**
 * Automatic rollback: after an apply in an environment with `autoRollback`, a watch runs verify, the
 * files' `-- rookery:check` lines and the environment's checks every `interval` for `watchMinutes`. A check
 * that fails rolls the watched versions back, newest first, with their stored scripts. The watch is plain
 * data (WatchPlan), so the queue can keep it in Postgres and any worker can run its next round.
 */
export interface WatchPlan {
  environment: string;
  /** The versions of the request, in the order they were applied. */
  versions: string[];
  startedAt: Date;
  endsAt: Date;
  intervalMs: number;
  checks: WatchCheck[];
  onCheckError: "rollback" | "alert";
  /**
   * Across targets (src/runner/watch-across.ts): each database the request applied, with its versions and
   * checks; `versions` and `checks` are then their union, for the messages.
   */
  databases?: WatchedDatabase[];
}

/** One database of a watch across targets: what was applied there, and what is checked there. */
export interface WatchedDatabase {
  target: string;
  /** The fleet database's name; for a single-database target, the target's name. */
  database: string;
  versions: string[];
  checks: WatchCheck[];
}

/** What an automatic rollback across targets did on one database. */
export interface DatabaseRollback {
  target: string;
  database: string;
  status: "rolled_back" | "not_rolled_back" | "rollback_failed";
  rolledBack: string[];
  /** not_rolled_back: the later versions built on it; rollback_failed: the version and its error. */
  builtOnBy?: string[];
  version?: string;
  error?: string;
}

export interface WatchRound {
  at: Date;
  results: CheckResult[];
  /** The check that decides a rollback: the first failing one, or the first erroring one when errors roll back. */
  failing?: CheckResult;
  /** Checks that could not say, reported whatever else happens. */
  errors: CheckResult[];
  /** Watched versions someone else rolled back (or that are otherwise no longer applied): the watch ends. */
  notApplied: string[];
  /** Across targets: databases that could not be reached this round (`tenants/bolt: error`), checked again next round. */
  unreachable?: string[];
}

/** `databases`: across targets, what happened on each database the rollback covered. */
export type WatchOutcome =
  | { status: "kept"; rounds: number; errors: CheckResult[] }
  | { status: "rolled_back"; failing: CheckResult; rolledBack: string[]; databases?: DatabaseRollback[] }
  /** A later request built on a watched version: rolling back underneath it is for a person to decide. */
  | { status: "not_rolled_back"; failing: CheckResult; builtOnBy: string[]; databases?: DatabaseRollback[] }
  | { status: "rollback_failed"; failing: CheckResult; rolledBack: string[]; version: string; error: string; databases?: DatabaseRollback[] }
  | { status: "ended"; reason: string };

/** The watch an apply of these migrations gets, or undefined where the environment has no autoRollback. */
export function planWatch(environment: Environment, migrations: Migration[], startedAt: Date = new Date()): WatchPlan | undefined {
  const settings = environment.autoRollback;
  if (!settings || migrations.length === 0) return undefined;
  return {
    environment: environment.name,
    versions: migrations.map((migration) => migration.version),
    startedAt,
    endsAt: new Date(startedAt.getTime() + settings.watchMinutes * 60_000),
    intervalMs: settings.interval,
    checks: watchChecksFor(environment, migrations),
    onCheckError: settings.onCheckError,
  };
}

/** Migrations without a rollback file, which an environment with autoRollback refuses before approval. */
export function missingRollbacks(migrations: Migration[]): Migration[] {
  return migrations.filter((migration) => !migration.rollback);
}

/** `tenants/bolt`, or `oltp` for a single-database target. */
export function databaseName(where: { target?: string; database?: string }): string {
  if (!where.target) return "";
  return where.database && where.database !== where.target ? `${where.target}/${where.database}` : where.target;
}

/** A check result as one line: `orders_ok = false`, `verify 20251101_000001 = critical_tables: ...`, `tenants/bolt: orders_ok = false`. */
export function describeCheck(result: CheckResult): string {
  const where = result.target ? `${databaseName(result)}: ` : "";
  return result.status === "error" ? `${where}${result.name} errored: ${result.value}` : `${where}${result.name} = ${result.value}`;
}

/** ` on 3 databases (tenants/a, tenants/b, oltp)`: where a watch across targets looks or rolled back, or "" for one database. */
export function onDatabases(databases: { target?: string; database?: string }[] | undefined): string {
  if (!databases || databases.length === 0) return "";
  const names = databases.map(databaseName);
  return ` on ${names.length} database${names.length === 1 ? "" : "s"} (${names.slice(0, 10).join(", ")}${names.length > 10 ? `, and ${names.length - 10} more` : ""})`;
}

/** The outcome in one sentence, for the CLI, the request's thread and the alert channel. */
export function describeOutcome(outcome: WatchOutcome): string {
  switch (outcome.status) {
    case "kept":
      return outcome.errors.length === 0
        ? `watch ended: every check passed in ${outcome.rounds} round${outcome.rounds === 1 ? "" : "s"}; the change stays`
        : `watch ended UNVERIFIED: the change stays, but ${outcome.errors.map(describeCheck).join("; ")}`;
    case "rolled_back":
      return `rolled back automatically (${outcome.rolledBack.join(", ")})${onDatabases(outcome.databases)}: ${describeCheck(outcome.failing)}`;
    case "not_rolled_back":
      return `check failed: ${describeCheck(outcome.failing)}; NOT rolled back automatically because ${outcome.builtOnBy.join(", ")} ${outcome.builtOnBy.length === 1 ? "was" : "were"} applied after it: decide by hand${onDatabases(outcome.databases?.filter((database) => database.status === "rolled_back")).replace(/^ on/, "; rolled back on")}`;
    case "rollback_failed":
      return `check failed: ${describeCheck(outcome.failing)}; the automatic rollback of ${outcome.version} FAILED${outcome.rolledBack.length ? ` (rolled back before it: ${outcome.rolledBack.join(", ")})` : ""}: ${outcome.error}${onDatabases(outcome.databases?.filter((database) => database.status === "rolled_back")).replace(/^ on/, "; rolled back on")}`;
    case "ended":
      return `watch ended: ${outcome.reason}`;
  }
}

/** Whatever a caller's exit code should say: only a clean window is success. */
export function watchSucceeded(outcome: WatchOutcome): boolean {
  return outcome.status === "kept" && outcome.errors.length === 0;
}

export function isConnectionProblem(error: unknown): boolean {
  return error instanceof DatabaseUnreachableError || isUnreachable(error) || /Connection terminated|connection error/i.test((error as Error)?.message ?? "");
}

/** One round: every check once, and what it decides. Throws when the database cannot be reached. */
export async function runWatchRound(ctx: Pick<RunContext, "environment" | "catalog">, plan: WatchPlan, now: Date = new Date()): Promise<WatchRound> {
  const ledger = await withLedgerClient(ctx.environment, (client) => readLedger(client, ctx.environment.ledgerSchema));
  const notApplied = plan.versions.filter((version) => ledger.get(version)?.status !== "applied");
  if (notApplied.length > 0) return { at: now, results: [], errors: [], notApplied };
  const results = await runWatchChecks(ctx.environment, ctx.catalog, plan.checks, plan.startedAt);
  const errors = results.filter((result) => result.status === "error");
  const failing = results.find((result) => result.status === "fail") ?? (plan.onCheckError === "rollback" ? errors[0] : undefined);
  return { at: now, results, errors, notApplied, ...(failing ? { failing } : {}) };
}

/** Versions applied after the watched ones (by a later request) that would be stranded by rolling them back. */
async function laterApplied(environment: Environment, versions: string[]): Promise<string[]> {
  const ledger = await withLedgerClient(environment, (client) => readLedger(client, environment.ledgerSchema));
  const watched = versions.map((version) => ledger.get(version)).filter((entry) => entry?.status === "applied");
  const since = Math.min(...watched.map((entry) => new Date(entry!.appliedAt).getTime()));
  return [...ledger.values()]
    .filter((entry) => entry.status === "applied" && !versions.includes(entry.version) && new Date(entry.appliedAt).getTime() > since)
    .map((entry) => entry.version);
}

/**
 * Rolls the watched versions back, newest first, with the scripts stored when they were applied, each
 * recorded as `rolled_back` and `auto_rolled_back` (with the failing check and its value). Not when a later
 * request has built on them; the first rollback that fails stops the rest.
 */
export async function rollBackWatched(ctx: RunContext, plan: WatchPlan, failing: CheckResult): Promise<WatchOutcome> {
  const builtOnBy = await laterApplied(ctx.environment, plan.versions);
  if (builtOnBy.length > 0) return { status: "not_rolled_back", failing, builtOnBy };
  const rolledBack: string[] = [];
  const reason = `automatic rollback: ${describeCheck(failing)}`.slice(0, 2000);
  for (const version of [...plan.versions].sort((a, b) => b.localeCompare(a))) {
    try {
      await rollbackMigration(ctx, {
        version,
        reason,
        trigger: { check: failing.name, source: failing.source, status: failing.status, value: failing.value, watchStartedAt: plan.startedAt.toISOString() },
      });
      rolledBack.push(version);
    } catch (error) {
      // Rolled back meanwhile by someone else (or an earlier run of this watch): it is where the watch wants it.
      if (error instanceof NothingToRollbackError) {
        rolledBack.push(version);
        continue;
      }
      return { status: "rollback_failed", failing, rolledBack, version, error: describeError(error) };
    }
  }
  return { status: "rolled_back", failing, rolledBack };
}

export type RoundDecision =
  | { next: "continue" }
  | { next: "roll_back"; failing: CheckResult }
  | { next: "end"; outcome: WatchOutcome };

/** What a round means for the watch: go on, end, or roll back. `errors`: every check that errored so far. */
export function decideRound(plan: WatchPlan, round: WatchRound, rounds: number, errors: CheckResult[]): RoundDecision {
  if (round.notApplied.length > 0) {
    const which = round.notApplied.join(", ");
    return { next: "end", outcome: { status: "ended", reason: `${which} ${round.notApplied.length === 1 ? "is" : "are"} no longer applied (rolled back by someone else)` } };
  }
  if (round.failing) return { next: "roll_back", failing: round.failing };
  if (round.at.getTime() + plan.intervalMs > plan.endsAt.getTime()) return { next: "end", outcome: { status: "kept", rounds, errors } };
  return { next: "continue" };
}

/** Errors seen so far plus this round's new ones, each check once. */
export function mergeErrors(seen: CheckResult[], round: CheckResult[]): CheckResult[] {
  return [...seen, ...round.filter((error) => !seen.some((known) => known.name === error.name && databaseName(known) === databaseName(error)))];
}

export interface ForegroundHooks {
  onRound?(round: WatchRound, index: number): void;
  /** A round that could not reach the database; the watch tries again next interval. */
  onUnreachable?(error: unknown): void;
  sleep?(ms: number): Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Where a watch's rounds and rollback run: one database (a RunContext) or several (src/runner/watch-across.ts). */
export interface WatchScope {
  round(plan: WatchPlan, at: Date): Promise<WatchRound>;
  rollBack(plan: WatchPlan, failing: CheckResult): Promise<WatchOutcome>;
}

/** The watch of one database. */
export function oneDatabase(ctx: RunContext): WatchScope {
  return { round: (plan, at) => runWatchRound(ctx, plan, at), rollBack: (plan, failing) => rollBackWatched(ctx, plan, failing) };
}

function scopeOf(ctx: RunContext | WatchScope, plan: WatchPlan): WatchScope {
  if ("round" in ctx) return ctx;
  if (plan.environment !== ctx.environment.name) throw new UsageError(`the watch is for ${plan.environment}, not ${ctx.environment.name}`);
  return oneDatabase(ctx);
}

/**
 * The whole watch in this process (`rookery apply --watch`): a round at once, then one every interval
 * until the window ends or a check fails.
 */
export async function watchInForeground(ctx: RunContext | WatchScope, plan: WatchPlan, hooks: ForegroundHooks = {}): Promise<WatchOutcome> {
  const scope = scopeOf(ctx, plan);
  const sleep = hooks.sleep ?? sleepFor;
  let errors: CheckResult[] = [];
  for (let index = 1; ; index += 1) {
    const at = new Date();
    try {
      const round = await scope.round(plan, at);
      errors = mergeErrors(errors, round.errors);
      hooks.onRound?.(round, index);
      const decision = decideRound(plan, round, index, errors);
      if (decision.next === "roll_back") return scope.rollBack(plan, decision.failing);
      if (decision.next === "end") return decision.outcome;
    } catch (error) {
      if (!isConnectionProblem(error)) throw error;
      hooks.onUnreachable?.(error);
      if (at.getTime() + plan.intervalMs > plan.endsAt.getTime()) return { status: "kept", rounds: index, errors };
    }
    await sleep(Math.max(0, at.getTime() + plan.intervalMs - Date.now()));
  }
}
