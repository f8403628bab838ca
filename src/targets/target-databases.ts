import type { Config, Environment } from "../config/index.ts";
import type { OwnDatabase } from "../runner/backup.ts";
import { fleetDatabases } from "./registry.ts";
import { resolveTargets } from "./resolve.ts";

/** Every database of an environment's targets beside its databaseUrl: each target's, and each of its fleets' (a registry's read now). */
export async function targetDatabases(config: Config, environment: Environment): Promise<OwnDatabase[]> {
  if (!environment.targets) return [];
  const databases: OwnDatabase[] = [];
  for (const target of resolveTargets(config, environment)) {
    if (target.kind === "database") databases.push({ label: `target ${target.name}`, url: target.environment.databaseUrl });
    else for (const database of await fleetDatabases(target)) databases.push({ label: `${target.name}/${database.name}`, url: database.databaseUrl });
  }
  return databases;
}
