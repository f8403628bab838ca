import { UnrecoverableError, type Job, type Queue } from "bullmq";
import type pg from "pg";
import { readCatalog } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { activeFreeze, describeFreeze } from "../policy/freeze.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { audit, getRequest, HEARTBEAT_EVERY_MS, markFailed, markRetrying, markRunning, markSucceeded, touchRunning, type ChangeRequest } from "../requests/index.ts";
import { NothingToRollbackError } from "../runner/errors.ts";
import { applyMigrations, planWatch, rollbackMigration, rollbackMigrations, RollbackFailedError } from "../runner/index.ts";
import { baselineMigrations } from "../adopt/index.ts";
import { completeExpansion, ExpansionStateError, type CompleteReport } from "../expand/index.ts";
import type { ApplyReport, RollbackReport, RunContext } from "../runner/types.ts";
import type { JobOutcome, Notifier, RolledBackSeveral } from "./notifier.ts";
import type { JobPayload } from "./payloads.ts";
import { appliedByRequest } from "../targets/applied-by-request.ts";
import { beginWatch } from "./process-watch.ts";
import { isTransient } from "./transient.ts";

export interface RequestJobDeps {
  config: Config;
  controlPool: pg.Pool;
  notifier: Notifier;
  logger: Logger;
  /** How long a job's outcome waits for the control database to answer before the job gives up on recording it (default 5 min). */
  controlWaitMs?: number;
  /** Where the watch after an apply (autoRollback) puts its rounds. */
  queue?: Queue;
}

/**
 * A write of the job's outcome to the control database, tried again until the database answers (for at
 * most controlWaitMs): lost, the request would show `running` through a retry's backoff and nobody
 * would hear of the retry. The job's lock is renewed meanwhile, so no other worker takes it.
 */
async function recordOutcome<T>(deps: RequestJobDeps, request: ChangeRequest, what: string, write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + (deps.controlWaitMs ?? 300_000);
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      if (attempt === 0) {
        deps.logger.warn({ requestId: request.id, err: describeError(error) }, `the control database does not answer; the ${what} is recorded once it does`);
      }
      await sleep(Math.min(5000, 200 * 2 ** attempt));
    }
  }
}

/** While the job runs, the request says a live worker has it (the reconciler leaves it alone). */
function keepHeartbeat(deps: RequestJobDeps, request: ChangeRequest): () => void {
  const timer = setInterval(() => void touchRunning(deps.controlPool, request.id).catch(() => {}), HEARTBEAT_EVERY_MS);
  return () => clearInterval(timer);
}

/**
 * Automatic rollback (src/queue/process-watch.ts): an apply in an environment with autoRollback starts its
 * watch before the request is marked succeeded, so a worker dying in between retries into a watch, never
 * past one. A retried job watches what an earlier attempt applied.
 */
async function watchAfterApply(deps: RequestJobDeps, request: ChangeRequest, environment: Environment, report: ApplyReport, actor: string): Promise<void> {
  if (!environment.autoRollback || request.kind !== "apply") return;
  if (!deps.queue) throw new Error(`${environment.name} has autoRollback but this worker has no queue to run the watch on`);
  const catalog = readCatalog(deps.config.migrationsDir, deps.config.layout);
  const earlier = request.attempts > 1 ? report.skipped.map((skip) => skip.version) : [];
  const versions = request.versions.filter((version) => report.applied.some((applied) => applied.version === version) || earlier.includes(version));
  const plan = planWatch(environment, versions.flatMap((version) => catalog.byVersion.get(version) ?? []));
  if (!plan) return;
  await beginWatch({ ...deps, queue: deps.queue }, { requestId: request.id, actor, plan }, request);
}

/** A job's failure that must not be retried, with the request already marked failed. */
export class FinalFailure extends UnrecoverableError {}

/** Notifying people is best effort: Slack being down must never fail or repeat a migration. */
export async function tell(logger: Logger, what: string, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    logger.warn({ err: describeError(error) }, `notifier failed (${what}); the job goes on`);
  }
}

export function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Who the ledger records: the Slack user as `slack:U…`, or the CLI actor as it came. */
export function actorOf(request: ChangeRequest): string {
  return request.requestedBy.includes(":") ? request.requestedBy : `slack:${request.requestedBy}`;
}

function runContext(deps: RequestJobDeps, request: ChangeRequest, environment: Environment): RunContext {
  return {
    environment,
    catalog: readCatalog(deps.config.migrationsDir, deps.config.layout),
    actor: actorOf(request),
    logger: deps.logger,
    onProgress: (event) => tell(deps.logger, "progress", () => deps.notifier.progress(request, event)),
  };
}

async function runApply(deps: RequestJobDeps, request: ChangeRequest, environment: Environment): Promise<ApplyReport> {
  const context = { ...runContext(deps, request, environment), requestId: request.id };
  const report = await applyMigrations(context, {
    versions: request.versions,
    expectedChecksums: request.checksums,
  });
  // A retry finds applied what an earlier attempt committed: one that failed later in the run, or whose worker died past
  // the commit (Postgres finishes a round trip whose client is gone) before it could report it. The ledger's applied
  // events carry the request's id: those versions are this request's doing, not someone else's, and reported as such.
  if (request.attempts > 1 && report.skipped.length > 0) {
    const earlier = new Set(await appliedByRequest(environment, request.id));
    for (const skip of report.skipped.filter((each) => earlier.has(each.version))) {
      const migration = context.catalog.byVersion.get(skip.version);
      report.applied.push({
        version: skip.version,
        description: migration?.description ?? "",
        checksum: request.checksums[skip.version] ?? migration?.checksum ?? "",
        durationMs: 0,
        outsideTransaction: false,
        lockRetries: 0,
        byEarlierAttempt: true,
      });
    }
    report.skipped = report.skipped.filter((each) => !earlier.has(each.version));
    report.applied.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  }
  return report;
}

/** The contract of an expand-contract migration; a retry after it committed finds it completed, which is success. */
async function runComplete(deps: RequestJobDeps, request: ChangeRequest, environment: Environment): Promise<CompleteReport | ApplyReport> {
  const version = request.versions[0]!;
  try {
    return await completeExpansion(runContext(deps, request, environment), { version });
  } catch (error) {
    if (error instanceof ExpansionStateError && request.attempts > 1 && /completed already/.test(error.message)) {
      return { environment: environment.name, applied: [], skipped: [{ version, reason: "already completed by an earlier attempt" }] };
    }
    throw error;
  }
}

async function runRollback(deps: RequestJobDeps, request: ChangeRequest, environment: Environment): Promise<RollbackReport | RolledBackSeveral | ApplyReport> {
  if (request.versions.length > 1) return runRollbackSeveral(deps, request, environment);
  const version = request.versions[0]!;
  try {
    return await rollbackMigration(runContext(deps, request, environment), { version, reason: request.reason ?? "" });
  } catch (error) {
    // A worker killed after the rollback committed: the retried job finds it done, which is success.
    if (error instanceof NothingToRollbackError && request.attempts > 1) {
      return { environment: environment.name, applied: [], skipped: [{ version, reason: "already rolled back by an earlier attempt" }] };
    }
    throw error;
  }
}

/**
 * `/migrate baseline`: the pinned versions are recorded as applied without running them, audited; a
 * retried job finds them recorded, which is success (baseline leaves existing rows as they are).
 */
async function runBaseline(deps: RequestJobDeps, request: ChangeRequest, environment: Environment): Promise<ApplyReport> {
  const version = [...request.versions].sort().at(-1)!;
  const report = await baselineMigrations(runContext(deps, request, environment), { version, reason: request.reason ?? undefined });
  await audit(deps.controlPool, {
    actor: actorOf(request),
    action: "job.baseline",
    requestId: request.id,
    environment: environment.name,
    detail: { version, baselined: report.baselined },
  });
  return {
    environment: environment.name,
    applied: [],
    skipped: [...report.baselined, ...report.alreadyApplied].map((each) => ({ version: each, reason: "recorded as applied without running it (baseline)" })),
  };
}

/** `/migrate rollback --to`: the pinned versions, newest first, in one run; the first failure fails the request. */
async function runRollbackSeveral(deps: RequestJobDeps, request: ChangeRequest, environment: Environment): Promise<RolledBackSeveral | ApplyReport> {
  const report = await rollbackMigrations(runContext(deps, request, environment), { versions: request.versions, reason: request.reason ?? "" });
  if (report.failed) {
    const before = report.rolledBack.length ? `${report.rolledBack.map((step) => step.version).join(", ")} rolled back first; ` : "";
    throw new RollbackFailedError(report.failed.version, `${before}${report.failed.error}`, undefined);
  }
  // Every version rolled back is reported (the thread and the audit log list them), not only the last.
  if (report.rolledBack.length > 0) return { environment: report.environment, reason: report.reason, rolledBack: report.rolledBack };
  return { environment: environment.name, applied: [], skipped: request.versions.map((version) => ({ version, reason: "already rolled back by an earlier attempt" })) };
}

async function finish(deps: RequestJobDeps, request: ChangeRequest, outcome: JobOutcome): Promise<void> {
  await tell(deps.logger, "finished", () => deps.notifier.finished(request, outcome));
}

/** Records a failure on the request and decides: retry later (transient, attempts left) or fail for good. */
async function fail(deps: RequestJobDeps, job: Job, request: ChangeRequest, error: string, transient: boolean, report?: ApplyReport): Promise<never> {
  const willRetry = transient && !isLastAttempt(job);
  const updated = await recordOutcome(deps, request, willRetry ? "retry" : "failure", () =>
    willRetry ? markRetrying(deps.controlPool, request.id, error) : markFailed(deps.controlPool, request.id, error, report ?? null),
  );
  await finish(deps, updated ?? request, { status: "failed", error, willRetry, report });
  if (willRetry) throw new Error(error);
  throw new FinalFailure(error);
}

/**
 * Runs an approved apply or rollback request. Safe to run twice: the engine takes the database's advisory
 * lock and re-reads the ledger, so a retried or duplicated job skips what is already done.
 */
export async function processRequestJob(deps: RequestJobDeps, job: Job, payload: JobPayload<"apply">): Promise<unknown> {
  const request = await markRunning(deps.controlPool, payload.requestId);
  if (!request) {
    const current = await getRequest(deps.controlPool, payload.requestId);
    if (!current) throw new UnrecoverableError(`request ${payload.requestId} does not exist in the control database`);
    deps.logger.info({ requestId: current.id, status: current.status }, "request is not runnable; job ends without running it");
    return { skipped: `request is ${current.status}` };
  }
  const stopHeartbeat = keepHeartbeat(deps, request);
  try {
    return await runRequest(deps, job, request);
  } finally {
    stopHeartbeat();
  }
}

async function runRequest(deps: RequestJobDeps, job: Job, request: ChangeRequest): Promise<unknown> {
  await tell(deps.logger, "started", () => deps.notifier.started(request, request.attempts));

  const environment = deps.config.environments[request.environment];
  if (!environment) {
    return fail(deps, job, request, `environment "${request.environment}" is no longer in the config (${deps.config.source})`, false);
  }
  // A freeze can start between approval and run (a deferred request waits for its window): nothing
  // approved before it may slip through, except an emergency rollback, which exists for exactly then.
  let freeze: Awaited<ReturnType<typeof activeFreeze>>;
  try {
    freeze = request.breakGlass ? undefined : await activeFreeze(deps.controlPool, environment.name);
  } catch (error) {
    // The control database went away under the job: retried like any transient failure, and said so once it is back.
    return fail(deps, job, request, `the freeze check could not be made: ${describeError(error)}`, isTransient(error));
  }
  if (freeze) {
    return fail(deps, job, request, `not run: ${describeFreeze(freeze)}. Request it again once the environment is unfrozen.`, false);
  }
  let report: ApplyReport | RollbackReport | RolledBackSeveral | CompleteReport;
  try {
    report =
      request.kind === "apply" ? await runApply(deps, request, environment)
      : request.kind === "complete" ? await runComplete(deps, request, environment)
      : request.kind === "baseline" ? await runBaseline(deps, request, environment)
      : await runRollback(deps, request, environment);
  } catch (error) {
    return fail(deps, job, request, describeError(error), isTransient(error));
  }
  if ("failed" in report && report.failed) {
    const { failed } = report;
    return fail(deps, job, request, `${failed.version}: ${failed.error}`, failed.transient, report);
  }
  if ("applied" in report) {
    try {
      await watchAfterApply(deps, request, environment, report, actorOf(request));
    } catch (error) {
      return fail(deps, job, request, `applied, but its watch (autoRollback) could not start: ${describeError(error)}`, true, report);
    }
  }
  const succeeded = await recordOutcome(deps, request, "success", () => markSucceeded(deps.controlPool, request.id, report));
  // Null: another attempt finished the request meanwhile and told everyone; telling again would render and audit twice.
  if (succeeded) await finish(deps, succeeded, { status: "succeeded", report });
  else deps.logger.info({ requestId: request.id }, "request already finished by another attempt; not reported again");
  return report;
}
