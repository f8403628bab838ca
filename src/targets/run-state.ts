import type { Fleet } from "../config/targets.ts";
import type { PreparedTarget } from "./apply-targets.ts";
import { crossesFailureLimit, planWaves } from "./waves.ts";

/**
 * A run across targets as rows, one per database, for runners that keep the state elsewhere (the queue
 * keeps it in the control database). The same rules as `applyTargets`: targets in order, a fleet's waves
 * in order with at most maxParallel at once, and a failure past maxFailurePercent halting what has not
 * started.
 */
export interface RunRow {
  target: string;
  database: string;
  position: number;
  /** Groups run one after the other: a target, or at most maxParallel databases of one wave. */
  step: number;
  wave: number;
  status: "pending" | "running" | "applied" | "up_to_date" | "failed";
  applied?: string[];
  error?: string | null;
  durationMs?: number | null;
}

export function planRunRows(targets: PreparedTarget[], parallel?: number): Omit<RunRow, "status">[] {
  const rows: Omit<RunRow, "status">[] = [];
  let step = 0;
  for (const { target, databases } of targets) {
    if (target.kind === "database") {
      rows.push({ target: target.name, database: databases[0]!.name, position: rows.length, step: step++, wave: 1 });
      continue;
    }
    const width = parallel ?? target.fleet.maxParallel;
    planWaves(databases, target.fleet).forEach((wave, index) => {
      for (let start = 0; start < wave.length; start += width) {
        for (const database of wave.slice(start, start + width)) rows.push({ target: target.name, database: database.name, position: rows.length, step, wave: index + 1 });
        step += 1;
      }
    });
  }
  return rows;
}

/**
 * One target's rows of a run, counted (the control database adds them up, so a database's job reads a
 * line per target, not a row per database: its memory and time stay flat in the size of the fleet).
 */
export interface RunTally {
  target: string;
  databases: number;
  pending: number;
  running: number;
  applied: number;
  upToDate: number;
  failed: number;
  /** The target's last wave. */
  waves: number;
  /** The furthest wave a database started in (0 when none did): where the run is, or where it halted. */
  furthestWave: number;
  /** The first wave with a failed database, 0 when none failed. */
  firstFailedWave: number;
  slowest: { database: string; durationMs: number } | null;
  /** The first SUMMARY_FAILURES failed databases in run order, each with its error. */
  failures: { database: string; error: string }[];
}

/** Failures the summary names with their errors; the rest are counted. */
export const SUMMARY_FAILURES = 3;

/** The fleet settings of each target (undefined for a single database: its failure halts). */
export type FleetsByTarget = Map<string, Fleet | undefined>;

/** Why nothing more may start, or null. Tallies in run order. */
export function haltReason(tallies: readonly RunTally[], fleets: FleetsByTarget): string | null {
  for (const tally of tallies) {
    const { target, failed, databases } = tally;
    const fleet = fleets.get(target);
    if (failed > 0 && (!fleet || crossesFailureLimit(failed, databases, fleet))) {
      return fleet
        ? `${target}: wave ${tally.firstFailedWave} of ${tally.waves} halted: ${failed} of ${databases} database(s) failed (maxFailurePercent ${fleet.maxFailurePercent})`
        : `${target} failed`;
    }
    const finished = tally.pending + tally.running === 0;
    // A target that ended with failures under its limit still stops the targets after it.
    if (finished && failed > 0) return `${target}: ${failed} of ${databases} database(s) failed`;
    if (!finished) return null;
  }
  return null;
}

/**
 * The run in one short text for the request message: per target, waves and databases done / failed /
 * pending, the slowest database, and the first failures with their errors.
 */
export function runSummary(tallies: readonly RunTally[], halted: string | null): string {
  const lines: string[] = [];
  for (const tally of tallies) {
    const { slowest } = tally;
    const many = tally.databases > 1;
    lines.push(
      `${tally.target}: ${many ? `wave ${Math.max(1, tally.furthestWave)}/${tally.waves}, ` : ""}${tally.applied + tally.upToDate} done, ${tally.failed} failed, ${tally.running} running, ${tally.pending} pending` +
        (slowest && many ? `; slowest ${slowest.database} ${(slowest.durationMs / 1000).toFixed(1)} s` : ""),
    );
    for (const failure of tally.failures) lines.push(`  failed ${failure.database}: ${failure.error.slice(0, 200)}`);
    if (tally.failed > tally.failures.length) lines.push(`  ... and ${tally.failed - tally.failures.length} more failed`);
  }
  if (halted) lines.push(`halted: ${halted}`);
  return lines.join("\n");
}
