import type { Environment } from "../config/index.ts";
import type { Logger } from "../log/logger.ts";
import type { ApplyOptions, ProgressListener } from "../runner/types.ts";
import { applyDatabase, applyFleet, notStarted, refusedWave, type BeforeWave, type DatabaseOutcome } from "./apply-fleet.ts";
import { environmentOf, type PreparedTarget } from "./prepare-targets.ts";
import type { Target } from "./resolve.ts";

export { environmentOf, prepareTargets, type PreparedTarget } from "./prepare-targets.ts";

export type TargetStatus = "succeeded" | "failed" | "not_started";

export interface TargetRun {
  target: string;
  kind: Target["kind"];
  status: TargetStatus;
  waves: number;
  halted: string | null;
  databases: DatabaseOutcome[];
}

export interface TargetsReport {
  environment: string;
  ok: boolean;
  targets: TargetRun[];
}

/** A target made ready to run: its folder read and, for a fleet, its databases listed. */
export interface TargetsRun {
  environment: Environment;
  targets: PreparedTarget[];
  actor: string;
  parallel?: number;
  options?: ApplyOptions;
  onProgress?: ProgressListener;
  onDatabase?: (outcome: DatabaseOutcome) => void;
  logger?: Logger;
  beforeWave?: BeforeWave;
}

function skipped(prepared: PreparedTarget): TargetRun {
  return {
    target: prepared.target.name,
    kind: prepared.target.kind,
    status: "not_started",
    waves: 0,
    halted: null,
    databases: prepared.databases.map((database) => notStarted(prepared.target.name, database.name, database.databaseUrl, 1)),
  };
}

/**
 * Applies target after target in targetOrder; a target that fails (a database failed, a fleet halted)
 * stops the rest, which are reported as not started.
 */
export async function applyTargets(run: TargetsRun): Promise<TargetsReport> {
  const results: TargetRun[] = [];
  let stopped = false;
  for (const prepared of run.targets) {
    if (stopped) {
      results.push(skipped(prepared));
      continue;
    }
    const { target, catalog } = prepared;
    let result: TargetRun;
    if (target.kind === "fleet") {
      const fleet = await applyFleet({ ...run, target, databases: prepared.databases, catalog });
      const failed = fleet.databases.some((outcome) => outcome.status === "failed");
      result = { target: target.name, kind: "fleet", status: failed ? "failed" : "succeeded", waves: fleet.waves, halted: fleet.halted, databases: fleet.databases };
    } else {
      const refused = (await run.beforeWave?.(target.name, prepared.databases)) ?? new Map<string, string>();
      const refusal = refused.size > 0 ? refusedWave(target.name, prepared.databases, refused, 1, 1) : undefined;
      const outcome = refusal?.outcomes[0] ?? (await applyDatabase({ ...run, target: target.name, database: target.name, environment: target.environment, catalog, wave: 1 }));
      run.onDatabase?.(outcome);
      result = { target: target.name, kind: "database", status: outcome.status === "failed" ? "failed" : "succeeded", waves: 1, halted: refusal?.halted ?? null, databases: [outcome] };
    }
    results.push(result);
    stopped = result.status === "failed";
  }
  return { environment: run.environment.name, ok: results.every((result) => result.status === "succeeded"), targets: results };
}
