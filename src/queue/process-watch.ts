import type { Queue } from "bullmq";
import type pg from "pg";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import { readLedger } from "../ledger/index.ts";
import type { Logger } from "../log/logger.ts";
import {
  audit,
  createWatch,
  finishWatch,
  getRequest,
  getWatch,
  markWatchRollingBack,
  openWatches,
  recordWatchRound,
  type ChangeRequest,
  type WatchRecord,
} from "../requests/index.ts";
import {
  acrossDatabases,
  databaseName,
  decideRound,
  describeOutcome,
  isConnectionProblem,
  mergeErrors,
  oneDatabase,
  rollBackWatched,
  watchSucceeded,
  type CheckResult,
  type WatchOutcome,
  type WatchPlan,
  type WatchScope,
} from "../runner/index.ts";
import { resolveTargets, watchSites, watchWidth } from "../targets/index.ts";
import { withLedgerClient } from "../session/session.ts";
import type { RunContext } from "../runner/types.ts";
import { enqueueWatchRound, watchJobId } from "./jobs-queue.ts";
import type { HealthAlert, Notifier, WatchNews } from "./notifier.ts";
import type { JobPayload } from "./payloads.ts";

export interface WatchJobDeps {
  config: Config;
  controlPool: pg.Pool;
  notifier: Notifier;
  logger: Logger;
  queue: Queue;
}

/** Telling people is best effort: Slack being down never stops a watch or its rollback. */
async function tell(deps: Pick<WatchJobDeps, "logger">, what: string, send: () => Promise<void> | undefined): Promise<void> {
  try {
    await send();
  } catch (error) {
    deps.logger.warn({ err: describeError(error) }, `notifier failed (${what}); the watch goes on`);
  }
}

async function news(deps: WatchJobDeps, watch: WatchRecord, request: ChangeRequest | null, update: WatchNews): Promise<void> {
  await tell(deps, `watch ${update.kind}`, () => deps.notifier.watch?.(watch, request, update));
}

/** An alert in the environment's channel: what the watch did, or could not do, without a person. */
async function alert(deps: WatchJobDeps, environment: Environment, watch: WatchRecord, level: HealthAlert["level"], message: string, suggestedCommand: string | null): Promise<void> {
  const newest = [...watch.plan.versions].sort((a, b) => b.localeCompare(a))[0] ?? null;
  await tell(deps, "watch alert", () =>
    deps.notifier.alert(environment, { key: `watch:${watch.id}`, level, state: "new", version: newest, message, since: watch.plan.startedAt, suggestedCommand }),
  );
}

/**
 * Starts the watch of an apply: the plan goes to Postgres first, then its first round to the queue. Should
 * the enqueue fail (Redis down), the worker's reconciler enqueues it from the stored watch.
 */
export async function beginWatch(
  deps: Pick<WatchJobDeps, "controlPool" | "queue" | "logger"> & { notifier?: Notifier },
  input: { requestId: string | null; actor: string; plan: WatchPlan },
  request: ChangeRequest | null = null,
): Promise<WatchRecord> {
  const watch = await createWatch(deps.controlPool, input);
  try {
    await enqueueWatchRound(deps.queue, watch.id, watch.rounds + 1, watch.nextRoundAt);
  } catch (error) {
    deps.logger.warn({ watchId: watch.id, err: describeError(error) }, "could not enqueue the watch's first round; the reconciler will");
  }
  if (deps.notifier) await tell(deps, "watch started", () => deps.notifier!.watch?.(watch, request, { kind: "started" }));
  return watch;
}

function runContextFor(deps: WatchJobDeps, watch: WatchRecord, environment: Environment, request: ChangeRequest | null): RunContext {
  return {
    environment,
    catalog: readCatalog(deps.config.migrationsDir, deps.config.layout),
    actor: watch.actor,
    logger: deps.logger,
    onProgress: (event) => (request ? tell(deps, "progress", () => deps.notifier.progress(request, event)) : undefined),
  };
}

/** A watch across targets: every database it looks at, each with its target's folder and its own URL. */
async function acrossScope(deps: WatchJobDeps, watch: WatchRecord, environment: Environment, request: ChangeRequest | null): Promise<WatchScope> {
  const targets = resolveTargets(deps.config, environment);
  const { environment: _environment, catalog: _catalog, ...base } = runContextFor(deps, watch, environment, request);
  return acrossDatabases(await watchSites(targets, watch.plan, base), watchWidth(targets));
}

/** Where the watch's round runs: its one database, or every database of a watch across targets. */
async function scopeFor(deps: WatchJobDeps, watch: WatchRecord, environment: Environment, request: ChangeRequest | null): Promise<WatchScope> {
  if (watch.plan.databases) return acrossScope(deps, watch, environment, request);
  return oneDatabase(runContextFor(deps, watch, environment, request));
}

/** Ends the watch, once: the audit log, the request's message and thread, and the alert channel unless it ended clean. */
async function conclude(deps: WatchJobDeps, watch: WatchRecord, environment: Environment | undefined, request: ChangeRequest | null, outcome: WatchOutcome): Promise<WatchOutcome> {
  const finished = await finishWatch(deps.controlPool, watch.id, outcome, watch.rollbackRequestedBy);
  if (!finished) return outcome;
  await audit(deps.controlPool, {
    actor: watch.rollbackRequestedBy ?? "worker",
    teamId: request?.teamId ?? null,
    action: `watch.${outcome.status}`,
    requestId: watch.requestId,
    environment: watch.plan.environment,
    detail: { watchId: watch.id, versions: watch.plan.versions, outcome },
  }).catch((error) => deps.logger.error({ err: describeError(error) }, "could not write the audit log"));
  await news(deps, finished, request, { kind: "finished", outcome, decidedBy: watch.rollbackRequestedBy });
  if (environment && !watchSucceeded(outcome) && outcome.status !== "ended") {
    const newest = [...watch.plan.versions].sort((a, b) => b.localeCompare(a))[0];
    const needsPerson = outcome.status === "not_rolled_back" || outcome.status === "rollback_failed";
    await alert(
      deps,
      environment,
      watch,
      needsPerson ? "CRITICAL" : "WARNING",
      `${watch.requestId ? `request ${watch.requestId.slice(0, 8)}: ` : `apply by ${watch.actor}: `}${describeOutcome(outcome)}`,
      needsPerson ? `/migrate rollback ${newest} ${environment.name} <reason>` : `/migrate history ${environment.name}`,
    );
  }
  return outcome;
}

/** Rolls back what of the watch is still applied; a retried job after a crash carries on where the last one stopped. */
async function finishRollback(deps: WatchJobDeps, watch: WatchRecord, environment: Environment, request: ChangeRequest | null, failing: CheckResult): Promise<WatchOutcome> {
  // Across targets each database's rollback reads its own ledger: a version rolled back by an earlier run counts as rolled back.
  if (watch.plan.databases) {
    const scope = await acrossScope(deps, watch, environment, request);
    return conclude(deps, watch, environment, request, await scope.rollBack(watch.plan, failing));
  }
  const ledger = await withLedgerClient(environment, (client) => readLedger(client, environment.ledgerSchema));
  const stillApplied = watch.plan.versions.filter((version) => ledger.get(version)?.status === "applied");
  const earlier = watch.plan.versions.filter((version) => !stillApplied.includes(version)).sort((a, b) => b.localeCompare(a));
  const outcome: WatchOutcome =
    stillApplied.length === 0
      ? { status: "rolled_back", failing, rolledBack: [] }
      : await rollBackWatched(runContextFor(deps, watch, environment, request), { ...watch.plan, versions: stillApplied }, failing);
  if (outcome.status === "rolled_back" || outcome.status === "rollback_failed") {
    outcome.rolledBack = [...earlier, ...outcome.rolledBack].sort((a, b) => b.localeCompare(a));
  }
  return conclude(deps, watch, environment, request, outcome);
}

async function startRollback(deps: WatchJobDeps, watch: WatchRecord, environment: Environment, request: ChangeRequest | null, failing: CheckResult): Promise<WatchOutcome | { skipped: string }> {
  if (!(await markWatchRollingBack(deps.controlPool, watch.id, failing))) return { skipped: "the watch ended meanwhile" };
  await news(deps, watch, request, { kind: "rolling_back", failing });
  return finishRollback(deps, watch, environment, request, failing);
}

async function runWatchJob(deps: WatchJobDeps, payload: JobPayload<"watch">): Promise<unknown> {
  const watch = await getWatch(deps.controlPool, payload.watchId);
  if (!watch || (watch.status !== "watching" && watch.status !== "rolling_back")) return { skipped: `the watch is ${watch?.status ?? "gone"}` };
  const request = watch.requestId ? await getRequest(deps.controlPool, watch.requestId) : null;
  const environment = deps.config.environments[watch.plan.environment];
  if (!environment) {
    return conclude(deps, watch, undefined, request, { status: "ended", reason: `environment "${watch.plan.environment}" is no longer in the config (${deps.config.source})` });
  }
  if (watch.status === "rolling_back") return finishRollback(deps, watch, environment, request, watch.failing!);
  if (watch.rollbackRequestedBy) {
    return startRollback(deps, watch, environment, request, { name: "Roll back now", source: "approver", status: "fail", value: `asked by ${watch.rollbackRequestedBy}` });
  }
  if (payload.now || payload.round !== watch.rounds + 1) return { skipped: `round ${payload.round} is not the next (${watch.rounds + 1})` };

  const at = new Date();
  let errors = watch.errors;
  try {
    const round = await (await scopeFor(deps, watch, environment, request)).round(watch.plan, at);
    if (round.unreachable?.length) deps.logger.warn({ watchId: watch.id, unreachable: round.unreachable }, "watch round: databases unreachable, checked next round");
    const fresh = round.errors.filter((error) => !errors.some((seen) => seen.name === error.name && databaseName(seen) === databaseName(error)));
    errors = mergeErrors(errors, round.errors);
    const decision = decideRound(watch.plan, round, payload.round, errors);
    if (fresh.length > 0 && decision.next !== "roll_back") {
      await news(deps, watch, request, { kind: "check_errored", errors: fresh });
      await alert(deps, environment, watch, "WARNING", `the watch of ${watch.plan.versions.join(", ")} has a check that does not run, so it never passes: ${fresh.map((error) => `${error.name}: ${error.value}`).join("; ")}`, `/migrate verify ${environment.name}`);
    }
    if (decision.next === "roll_back") return startRollback(deps, watch, environment, request, decision.failing);
    if (decision.next === "end") return conclude(deps, watch, environment, request, decision.outcome);
  } catch (error) {
    if (!isConnectionProblem(error)) throw error;
    deps.logger.warn({ watchId: watch.id, err: describeError(error) }, "watch round skipped: the database is unreachable");
    if (at.getTime() + watch.plan.intervalMs > watch.plan.endsAt.getTime()) {
      return conclude(deps, watch, environment, request, { status: "kept", rounds: payload.round, errors });
    }
  }
  const next = new Date(at.getTime() + watch.plan.intervalMs);
  if (await recordWatchRound(deps.controlPool, watch.id, payload.round, next, errors)) {
    await enqueueWatchRound(deps.queue, watch.id, payload.round + 1, next);
  }
  return { round: payload.round, next: next.toISOString() };
}

/**
 * One round of a watch. A session advisory lock on the control database keeps two runs of the same watch
 * (a timed round and a "Roll back now") from overlapping; the state they share is the row in Postgres.
 */
export async function processWatchJob(deps: WatchJobDeps, payload: JobPayload<"watch">): Promise<unknown> {
  const lockClient = await deps.controlPool.connect();
  const key = `rookery_control.watch:${payload.watchId}`;
  try {
    await lockClient.query("SELECT pg_advisory_lock(hashtext($1))", [key]);
    return await runWatchJob(deps, payload);
  } finally {
    await lockClient.query("SELECT pg_advisory_unlock(hashtext($1))", [key]).catch(() => {});
    lockClient.release();
  }
}

/**
 * Every open watch has its next job in Redis: after a Redis restart (or a worker that died between a round
 * and enqueueing the next), the stored watch puts it back. A job BullMQ gave up on ends the watch, alerted.
 */
export async function reconcileWatches(deps: WatchJobDeps): Promise<number> {
  let added = 0;
  for (const watch of await openWatches(deps.controlPool)) {
    const round = watch.status === "rolling_back" || watch.rollbackRequestedBy ? "now" : watch.rounds + 1;
    const job = await deps.queue.getJob(watchJobId(watch.id, round));
    const state = job ? await job.getState() : "missing";
    if (state === "failed") {
      const request = watch.requestId ? await getRequest(deps.controlPool, watch.requestId) : null;
      const environment = deps.config.environments[watch.plan.environment];
      await conclude(deps, watch, environment, request, { status: "ended", reason: `its job failed: ${job?.failedReason ?? "no reason recorded"}` });
      if (environment) await alert(deps, environment, watch, "CRITICAL", `the watch of ${watch.plan.versions.join(", ")} stopped: its job failed (${job?.failedReason ?? "no reason"}); nothing was rolled back`, `/migrate verify ${environment.name}`);
      continue;
    }
    if (state === "missing" || state === "unknown" || state === "completed") {
      if (job) await job.remove().catch(() => {});
      await enqueueWatchRound(deps.queue, watch.id, round, round === "now" ? new Date() : watch.nextRoundAt);
      added += 1;
    }
  }
  return added;
}
