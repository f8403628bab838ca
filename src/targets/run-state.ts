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

const finished = (row: Pick<RunRow, "status">) => row.status === "applied" || row.status === "up_to_date" || row.status === "failed";

/** The fleet settings of each target (undefined for a single database: its failure halts). */
export type FleetsByTarget = Map<string, Fleet | undefined>;

/** Why nothing more may start, or null. */
export function haltReason(rows: readonly RunRow[], fleets: FleetsByTarget): string | null {
  const targets = [...new Set(rows.map((row) => row.target))];
  for (const target of targets) {
    const own = rows.filter((row) => row.target === target);
    const failed = own.filter((row) => row.status === "failed");
    const fleet = fleets.get(target);
    if (failed.length > 0 && (!fleet || crossesFailureLimit(failed.length, own.length, fleet))) {
      const waves = Math.max(...own.map((row) => row.wave));
      const wave = Math.min(...failed.map((row) => row.wave));
      return fleet
        ? `${target}: wave ${wave} of ${waves} halted: ${failed.length} of ${own.length} database(s) failed (maxFailurePercent ${fleet.maxFailurePercent})`
        : `${target} failed`;
    }
    // A target that ended with failures under its limit still stops the targets after it.
    if (own.every(finished) && failed.length > 0) return `${target}: ${failed.length} of ${own.length} database(s) failed`;
    if (!own.every(finished)) return null;
  }
  return null;
}

/** The group to run now, or null when every database finished (or the run halted: see haltReason). */
export function currentStep<R extends RunRow>(rows: readonly R[]): R[] | null {
  const open = rows.filter((row) => !finished(row));
  if (open.length === 0) return null;
  const step = Math.min(...open.map((row) => row.step));
  return rows.filter((row) => row.step === step);
}

/**
 * The run in one short text for the request message: per target, waves and databases done / failed /
 * pending, the slowest database, and the first failures with their errors.
 */
export function runSummary(rows: readonly RunRow[], halted: string | null, maxFailures = 3): string {
  const lines: string[] = [];
  for (const target of [...new Set(rows.map((row) => row.target))]) {
    const own = rows.filter((row) => row.target === target);
    const count = (status: RunRow["status"]) => own.filter((row) => row.status === status).length;
    const done = count("applied") + count("up_to_date");
    const waves = Math.max(...own.map((row) => row.wave));
    // The furthest wave a database started in: where the run is, or where it halted.
    const wave = Math.max(1, ...own.filter((row) => row.status !== "pending").map((row) => row.wave));
    const slowest = own.filter((row) => row.durationMs != null).sort((a, b) => b.durationMs! - a.durationMs!)[0];
    lines.push(
      `${target}: ${own.length > 1 ? `wave ${wave}/${waves}, ` : ""}${done} done, ${count("failed")} failed, ${count("running")} running, ${count("pending")} pending` +
        (slowest && own.length > 1 ? `; slowest ${slowest.database} ${(slowest.durationMs! / 1000).toFixed(1)} s` : ""),
    );
    const failures = own.filter((row) => row.status === "failed");
    for (const row of failures.slice(0, maxFailures)) lines.push(`  failed ${row.database}: ${(row.error ?? "").slice(0, 200)}`);
    if (failures.length > maxFailures) lines.push(`  ... and ${failures.length - maxFailures} more failed`);
  }
  if (halted) lines.push(`halted: ${halted}`);
  return lines.join("\n");
}
