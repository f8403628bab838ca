import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import type { FleetDatabase } from "../config/targets.ts";
import { fleetDatabases } from "./registry.ts";
import { catalogOf, databaseEnvironment, type Target } from "./resolve.ts";

// Apart from apply-targets.ts so that read commands (status, verify, health) reach the targets without
// loading the apply path (the runner, expand-contract, backups): a smaller module graph at every start.
export interface PreparedTarget {
  target: Target;
  catalog: Catalog;
  /** A fleet's databases in wave order; a single database is a fleet of one. */
  databases: FleetDatabase[];
}

/**
 * Reads every target's folder and lists every fleet before anything runs: a bad file or a registry that
 * fails refuses the whole run with nothing applied anywhere.
 */
export async function prepareTargets(targets: Target[]): Promise<PreparedTarget[]> {
  const prepared: PreparedTarget[] = [];
  for (const target of targets) {
    const catalog = catalogOf(target);
    const databases = target.kind === "fleet" ? await fleetDatabases(target) : [{ name: target.name, databaseUrl: target.environment.databaseUrl }];
    prepared.push({ target, catalog, databases });
  }
  return prepared;
}

/** The environment one database of a prepared target runs under. */
export function environmentOf(prepared: PreparedTarget, database: FleetDatabase): Environment {
  return prepared.target.kind === "fleet" ? databaseEnvironment(prepared.target, database) : prepared.target.environment;
}
