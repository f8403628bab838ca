import { RookeryError } from "../errors.ts";
import type { RunContext } from "../runner/types.ts";
import type { AppliedOn, WatchPlan, WatchSite } from "../runner/index.ts";
import { environmentOf, prepareTargets, type PreparedTarget } from "./apply-targets.ts";
import type { Target } from "./resolve.ts";

/**
 * The databases of a watch across targets (plan.databases), each with what it runs on: the target's
 * folder and the database's URL (a fleet from a registry is listed again). A database no longer among
 * its target's is refused by name.
 */
export async function watchSites(targets: Target[], plan: WatchPlan, base: Omit<RunContext, "environment" | "catalog">, prepared?: PreparedTarget[]): Promise<WatchSite[]> {
  const named = new Set((plan.databases ?? []).map((database) => database.target));
  const ready = prepared ?? (await prepareTargets(targets.filter((target) => named.has(target.name))));
  return (plan.databases ?? []).map((watched) => {
    const target = ready.find((entry) => entry.target.name === watched.target);
    const database = target?.databases.find((entry) => entry.name === watched.database);
    if (!target || !database) {
      throw new RookeryError(`the watch of ${plan.environment} looks at ${watched.target}/${watched.database}, which is no longer ${target ? `one of ${watched.target}'s databases` : "a target"}`, {
        hint: "Check the environment's targets in the config; `rookery status --target NAME` shows what is applied where.",
      });
    }
    return { ...watched, ctx: { ...base, environment: environmentOf(target, database), catalog: target.catalog } };
  });
}

/** How many databases of a watch run at once: the widest maxParallel of its fleets (one for single databases). */
export function watchWidth(targets: Target[]): number {
  return Math.max(1, ...targets.map((target) => (target.kind === "fleet" ? target.fleet.maxParallel : 1)));
}

/**
 * What each database applied, with its migrations from its target's folder: what a watch across targets
 * watches. Rows from the CLI's report or the queue's target_runs.
 */
export function appliedOn(rows: readonly { target: string; database: string; applied: string[] }[], prepared: PreparedTarget[]): AppliedOn[] {
  return rows.map((row) => {
    const catalog = prepared.find((entry) => entry.target.name === row.target)?.catalog;
    return { target: row.target, database: row.database, migrations: row.applied.flatMap((version) => catalog?.byVersion.get(version) ?? []) };
  });
}
