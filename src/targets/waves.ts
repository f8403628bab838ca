import type { Fleet } from "../config/targets.ts";

/**
 * The waves of a fleet, in the order its databases are listed: the canary wave first (alone, so a bad
 * migration hurts `canary` databases), then waves of `waveSize`.
 */
export function planWaves<T>(databases: readonly T[], fleet: Pick<Fleet, "canary" | "waveSize">): T[][] {
  const waves: T[][] = [];
  const canary = Math.min(fleet.canary, databases.length);
  if (canary > 0) waves.push(databases.slice(0, canary));
  for (let start = canary; start < databases.length; start += fleet.waveSize) waves.push(databases.slice(start, start + fleet.waveSize));
  return waves;
}

/** Halt when a database failed and the failures cross maxFailurePercent of the fleet (0: at the first one). */
export function crossesFailureLimit(failed: number, total: number, fleet: Pick<Fleet, "maxFailurePercent">): boolean {
  if (failed === 0) return false;
  return (failed / Math.max(total, 1)) * 100 > fleet.maxFailurePercent;
}
