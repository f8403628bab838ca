import type { Job } from "bullmq";
import type { FleetDatabase } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import { finishTargetRun, getRequest, pinsOfTarget, startTargetRun, tallyTargetRuns } from "../requests/index.ts";
import { appliedByRequest, applyDatabase, databaseEnvironment, fleetDatabases, haltReason, resolveTargets, rollbackDatabase, runSummary, type DatabaseOutcome, type Target } from "../targets/index.ts";
import type { JobPayload } from "./payloads.ts";
import { pinnedCatalog } from "./pinned-catalog.ts";
import { actorOf, isLastAttempt, tell, type RequestJobDeps } from "./process-request.ts";
import { fleetsOf } from "./process-targets.ts";
import { isTransient } from "./transient.ts";
import { databasePolicy, hasDatabasePolicy, refusedOn } from "../policy/database-part.ts";

/** A registry read once per fleet and minute per worker, not once per database job. */
const REGISTRY_CACHE_MS = 60_000;
const registries = new Map<string, { at: number; databases: Promise<FleetDatabase[]> }>();

async function databaseNamed(target: Target, name: string): Promise<FleetDatabase | undefined> {
  if (target.kind === "database") return { name: target.name, databaseUrl: target.environment.databaseUrl };
  if (target.fleet.databases) return target.fleet.databases.find((database) => database.name === name);
  // The same registry (its database and query), not only the same names: a config read again may point elsewhere.
  const registry = target.fleet.registry;
  const key = `${target.environment.name}/${target.name}\u0000${registry?.databaseUrl ?? ""}\u0000${registry?.query ?? ""}`;
  let cached = registries.get(key);
  if (!cached || Date.now() - cached.at > REGISTRY_CACHE_MS) {
    cached = { at: Date.now(), databases: fleetDatabases(target) };
    cached.databases.catch(() => registries.delete(key));
    registries.set(key, cached);
  }
  return (await cached.databases).find((database) => database.name === name);
}

/**
 * One database of a request across targets, a child of the request's job. It starts nothing once the run
 * halted; it applies the target's pinned files (or rolls back its row's versions, for a rollback) under the database's own advisory lock (so a job that a
 * killed worker left behind, run again elsewhere, finds what is applied and applies nothing twice), and
 * records the outcome in target_runs. A SQL failure is an outcome, not a job failure: the parent decides.
 */
export async function processDatabaseJob(deps: RequestJobDeps, job: Job, payload: JobPayload<"apply-database">): Promise<unknown> {
  const { requestId } = payload;
  const request = await getRequest(deps.controlPool, requestId);
  if (!request || request.status !== "running") return { skipped: `request is ${request?.status ?? "gone"}` };
  const key = { requestId, target: payload.target, database: payload.database };
  const environment = deps.config.environments[payload.environment];
  const fail = async (error: string) => {
    await finishTargetRun(deps.controlPool, key, { status: "failed", applied: [], error, durationMs: 0 });
    return { failed: error };
  };
  if (!environment) return fail(`environment "${payload.environment}" is no longer in the config`);
  let target: Target;
  try {
    target = resolveTargets(deps.config, environment, payload.target)[0]!;
  } catch (error) {
    return fail(describeError(error));
  }
  if (haltReason(await tallyTargetRuns(deps.controlPool, requestId), fleetsOf(deps, environment))) return { skipped: "the run halted" };
  const row = await startTargetRun(deps.controlPool, requestId, payload.target, payload.database);
  if (!row) return { skipped: "already finished" };

  let outcome: DatabaseOutcome;
  try {
    const database = await databaseNamed(target, payload.database);
    if (!database) return fail(`${payload.database} is no longer one of ${target.name}'s databases`);
    // The pins hold rollback files too (`<version>/rollback`); the versions to apply are the files'.
    const pins = request.kind === "rollback" ? {} : pinsOfTarget(request.checksums, target.name);
    const common = {
      target: target.name,
      database: database.name,
      environment: target.kind === "fleet" ? databaseEnvironment(target, database) : target.environment,
      catalog: pinnedCatalog(target, pins),
      actor: actorOf(request),
      wave: row.wave,
      logger: deps.logger,
    };
    // A rollback across targets names each database's versions on its row, newest first (src/targets/rollback-of-run.ts).
    if (request.kind === "rollback") {
      outcome = await rollbackDatabase({ ...common, versions: row.versions, reason: request.reason ?? "" });
    } else {
      const versions = Object.keys(pins).filter((key) => !key.includes("/"));
      // What the policy asks of this database (its pending files on staging's target, rollback files, proofs), as it runs.
      const { decision } = hasDatabasePolicy(common.environment)
        ? await databasePolicy({ config: deps.config, environment: common.environment, catalog: common.catalog, target: target.name, versions })
        : { decision: { allowed: true, reasons: [] } };
      if (!decision.allowed) return fail(refusedOn(environment.name, target.kind === "fleet" ? `${target.name}/${database.name}` : target.name, decision));
      outcome = await applyDatabase({ ...common, requestId, options: { versions, expectedChecksums: pins }, rethrow: true });
      // Run again after its worker was killed past the commit: what that attempt applied is in the ledger, not here.
      if (outcome.status === "up_to_date" && row.attempts > 1) {
        outcome.applied = await appliedByRequest(common.environment, requestId);
        if (outcome.applied.length > 0) outcome.status = "applied";
      }
    }
  } catch (error) {
    if (isTransient(error) && !isLastAttempt(job)) throw error;
    return fail(describeError(error));
  }
  if (outcome.failed?.transient && !isLastAttempt(job)) throw new Error(`${outcome.failed.version}: ${outcome.failed.error}`);
  await finishTargetRun(deps.controlPool, key, {
    status: outcome.status === "not_started" ? "failed" : outcome.status,
    applied: outcome.applied,
    error: outcome.failed ? `${outcome.failed.version}: ${outcome.failed.error}` : outcome.error,
    durationMs: outcome.durationMs,
  });
  const tallies = await tallyTargetRuns(deps.controlPool, requestId);
  await tell(deps.logger, "progress", () => deps.notifier.progress(request, { step: "apply", message: runSummary(tallies, null) }));
  return outcome;
}
