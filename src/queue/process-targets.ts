import { WaitingChildrenError, type Job, type Queue } from "bullmq";
import { describeError, RookeryError } from "../errors.ts";
import type { Environment } from "../config/index.ts";
import {
  ensureTargetRuns,
  getRequest,
  isAcrossTargets,
  listCurrentStep,
  listTargetRuns,
  markFailed,
  pinnedTargets,
  markRunning,
  markSucceeded,
  planTargetRuns,
  tallyTargetRuns,
  type ChangeRequest,
  type TargetRunRow,
} from "../requests/index.ts";
import { appliedOn, haltReason, planRunRows, prepareTargets, resolveTargets, runSummary, type FleetsByTarget, type RunTally } from "../targets/index.ts";
import { planWatchAcross } from "../runner/index.ts";
import { activeFreeze, describeFreeze } from "../policy/freeze.ts";
import { DEFAULT_RETRY } from "./jobs-queue.ts";
import { payloadFor } from "./payloads.ts";
import type { RequestJobDeps } from "./process-request.ts";
import { actorOf, FinalFailure, tell } from "./process-request.ts";
import { beginWatch } from "./process-watch.ts";

export interface TargetsJobDeps extends RequestJobDeps {
  queue: Queue;
}

export function fleetsOf(deps: RequestJobDeps, environment: Environment): FleetsByTarget {
  return new Map(resolveTargets(deps.config, environment).map((target) => [target.name, target.kind === "fleet" ? target.fleet : undefined]));
}

/** A database's job id: the request, the database and the resume round, so a resumed run gets new jobs. */
export function databaseJobId(requestId: string, row: Pick<TargetRunRow, "target" | "database" | "round">): string {
  // BullMQ refuses ":" in a custom id.
  return `${requestId}/${row.target}/${row.database}/${row.round}`;
}

/** The summary as the request's result: what ran where. */
function resultOf(rows: TargetRunRow[], tallies: RunTally[], halted: string | null) {
  return {
    summary: runSummary(tallies, halted),
    halted,
    databases: rows.map(({ target, database, wave, status, applied, error, durationMs }) => ({ target, database, wave, status, applied, error, durationMs })),
  };
}

async function addDatabaseJobs(deps: TargetsJobDeps, job: Job, request: ChangeRequest, rows: TargetRunRow[]): Promise<void> {
  for (const row of rows) {
    const data = payloadFor("apply-database", { requestId: request.id, environment: request.environment, target: row.target, database: row.database });
    await deps.queue.add("apply-database", data, {
      jobId: databaseJobId(request.id, row),
      parent: { id: job.id!, queue: job.queueQualifiedName },
      attempts: DEFAULT_RETRY.attempts,
      backoff: { type: "exponential", delay: DEFAULT_RETRY.backoffMs },
      // A database job that fails for good (a bad payload) must not leave the request waiting for ever.
      ignoreDependencyOnFailure: true,
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
  }
}

/**
 * Automatic rollback across targets (docs/auto-rollback.md): once every database ran, the watch of what
 * each applied starts, before the request is marked succeeded (a worker dying in between retries into the
 * watch: one per request). A database whose job ran twice (its worker killed after the apply) has on its
 * row what the killed attempt applied, from the ledger (src/targets/applied-by-request.ts).
 */
async function watchAcrossTargets(deps: TargetsJobDeps, request: ChangeRequest, environment: Environment, rows: TargetRunRow[]): Promise<void> {
  if (!environment.autoRollback) return;
  try {
    const prepared = await prepareTargets(resolveTargets(deps.config, environment));
    const watched = rows.filter((row) => row.status === "applied" || row.status === "up_to_date");
    const plan = planWatchAcross(environment, appliedOn(watched, prepared));
    if (plan) await beginWatch(deps, { requestId: request.id, actor: actorOf(request), plan }, request);
  } catch (error) {
    // Not final: the job is retried into the watch, never past it.
    throw new RookeryError(`applied, but its watch (autoRollback) could not start: ${describeError(error)}`);
  }
}

/**
 * The request's own job across targets: it plans the run once (every fleet listed, so a failing registry
 * refuses with nothing run), then runs step after step, each database its own child job that any worker
 * may take, and waits for them as a BullMQ parent (WaitingChildrenError) between steps. State lives in
 * rookery_control.target_runs, so the job can be re-run at any point: by a stalled-job check, a
 * reconciler, a resume.
 */
export async function processTargetsRequest(deps: TargetsJobDeps, job: Job, token: string | undefined, requestId: string, environment: Environment): Promise<unknown> {
  await ensureTargetRuns(deps.controlPool);
  let tallies = await tallyTargetRuns(deps.controlPool, requestId);
  // Woken between steps the request is running already; the first entry (or one after a resume) marks it.
  const current = await getRequest(deps.controlPool, requestId);
  let request = current?.status === "running" && tallies.length > 0 ? current : await markRunning(deps.controlPool, requestId);
  if (!request) return { skipped: `request is ${current?.status ?? "gone"}` };
  // As for one database (process-request.ts): a freeze that started after approval stops the run before anything starts.
  const freeze = current?.status !== "running" && !request.breakGlass ? await activeFreeze(deps.controlPool, environment.name) : undefined;
  if (freeze) {
    const message = `not run: ${describeFreeze(freeze)}. Request it again once the environment is unfrozen.`;
    request = (await markFailed(deps.controlPool, requestId, message)) ?? request;
    await tell(deps.logger, "finished", () => deps.notifier.finished(request!, { status: "failed", error: message, willRetry: false }));
    throw new FinalFailure(message);
  }
  // A rollback across targets was planned with the request (each database's versions); it starts here.
  if (request.kind === "rollback" && current?.status !== "running") await tell(deps.logger, "started", () => deps.notifier.started(request!, request!.attempts));
  if (tallies.length === 0 && request.kind === "rollback") {
    const message = `request ${requestId} names no database to roll back`;
    request = (await markFailed(deps.controlPool, requestId, message)) ?? request;
    await tell(deps.logger, "finished", () => deps.notifier.finished(request!, { status: "failed", error: message, willRetry: false }));
    throw new FinalFailure(message);
  }
  if (tallies.length === 0) {
    await tell(deps.logger, "started", () => deps.notifier.started(request!, request!.attempts));
    try {
      if (!isAcrossTargets(request.checksums)) {
        throw new RookeryError(`request ${requestId} pinned one database's files, but ${environment.name} now has targets`, { hint: "Ask again: the new request pins every target's files." });
      }
      // One version (or `--target`) pins one target's files: only the pinned targets run.
      const pinned = pinnedTargets(request.checksums);
      const prepared = await prepareTargets(resolveTargets(deps.config, environment).filter((target) => pinned.has(target.name)));
      await planTargetRuns(deps.controlPool, requestId, planRunRows(prepared));
    } catch (error) {
      const message = describeError(error);
      request = (await markFailed(deps.controlPool, requestId, message)) ?? request;
      await tell(deps.logger, "finished", () => deps.notifier.finished(request!, { status: "failed", error: message, willRetry: false }));
      throw new FinalFailure(message);
    }
    tallies = await tallyTargetRuns(deps.controlPool, requestId);
  }
  const fleets = fleetsOf(deps, environment);
  const databases = tallies.reduce((sum, tally) => sum + tally.databases, 0);
  for (let round = 0; ; round += 1) {
    const halted = haltReason(tallies, fleets);
    // Between steps only the step's rows are read; every row once, at the end, for the result.
    const step = halted ? [] : await listCurrentStep(deps.controlPool, requestId);
    if (halted || step.length === 0) {
      const rows = await listTargetRuns(deps.controlPool, requestId);
      const result = resultOf(rows, tallies, halted);
      if (halted) {
        const failed = rows.filter((row) => row.status === "failed").map((row) => `${row.target}/${row.database}`);
        const notStarted = rows.filter((row) => row.status === "pending").map((row) => `${row.target}/${row.database}`);
        const error = `${halted}. Failed: ${failed.join(", ")}.${notStarted.length ? ` Not started: ${notStarted.length} (${notStarted.slice(0, 10).join(", ")}${notStarted.length > 10 ? ", ..." : ""}).` : ""} Fix it, then resume the request.`;
        request = (await markFailed(deps.controlPool, requestId, error, result)) ?? request;
        await tell(deps.logger, "finished", () => deps.notifier.finished(request!, { status: "failed", error: `${error}\n${result.summary}`, willRetry: false }));
        throw new FinalFailure(error);
      }
      await watchAcrossTargets(deps, request, environment, rows);
      request = (await markSucceeded(deps.controlPool, requestId, result)) ?? request;
      await tell(deps.logger, "finished", () => deps.notifier.finished(request!, { status: "succeeded", report: { environment: environment.name, applied: [], skipped: [], ...result } }));
      return result;
    }
    await addDatabaseJobs(deps, job, request, step.filter((row) => row.status === "pending" || row.status === "running"));
    if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
    tallies = await tallyTargetRuns(deps.controlPool, requestId);
    // Children finished but the step is not: only a database job that ended without running could do it.
    if (round > databases + 1) throw new Error(`request ${requestId}: a step across targets makes no progress`);
  }
}
