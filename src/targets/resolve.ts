import { existsSync } from "node:fs";
import path from "node:path";
import type { Config, Environment } from "../config/index.ts";
import type { Fleet, FleetDatabase } from "../config/targets.ts";
import { readCatalog, readCatalogInTurns, type Catalog } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";

/**
 * What a command runs against: an environment's targets in targetOrder. An environment without `targets`
 * is one target, its own database and the migrations folder, so every caller loops the same way.
 */
interface TargetBase {
  name: string;
  /** The target's migrations folder, absolute. */
  dir: string;
  /** The environment's settings; for a single database its databaseUrl is the target's. */
  environment: Environment;
  /** True for an environment without `targets`: output keeps today's single-database shape. */
  implicit: boolean;
  /** The folder layout (config `layout`), the same for every target. */
  layout: Config["layout"];
}

export interface DatabaseTarget extends TargetBase {
  kind: "database";
}

export interface FleetTarget extends TargetBase {
  kind: "fleet";
  fleet: Fleet;
}

export type Target = DatabaseTarget | FleetTarget;

export function hasTargets(environment: Environment): boolean {
  return environment.targets !== undefined;
}

/** The target names of an environment, in targetOrder (else as written). */
export function targetNames(environment: Environment): string[] {
  if (!environment.targets) return [];
  return environment.targetOrder ?? Object.keys(environment.targets);
}

/**
 * The environment's targets in order, or only `only` when given. A name that is not a target is a
 * usage error listing the ones there are.
 */
export function resolveTargets(config: Config, environment: Environment, only?: string): Target[] {
  if (!environment.targets) {
    if (only !== undefined) {
      throw new UsageError(`environment ${environment.name} has no targets, so --target ${only} names nothing`, {
        hint: "Leave out --target: the environment is one database (docs/targets.md shows how to name several).",
      });
    }
    return [{ kind: "database", name: environment.name, dir: config.migrationsDir, environment, implicit: true, layout: config.layout }];
  }
  const names = targetNames(environment);
  if (only !== undefined && !names.includes(only)) {
    throw new UsageError(`unknown target "${only}" in ${environment.name}`, { hint: `Targets of ${environment.name}: ${names.join(", ")}.` });
  }
  return names
    .filter((name) => only === undefined || name === only)
    .map((name): Target => {
      const settings = environment.targets![name]!;
      // loadConfig resolved `dir` against the working folder already; a config built in code may be relative.
      const base = { name, dir: settings.dir ? path.resolve(settings.dir) : config.migrationsDir, implicit: false, layout: config.layout };
      if (settings.fleet) return { ...base, kind: "fleet", fleet: settings.fleet, environment };
      return { ...base, kind: "database", environment: { ...environment, databaseUrl: settings.databaseUrl!, backupDatabase: name } };
    });
}

/** The environment one database of a fleet runs under: the fleet's settings, that database's URL. */
export function databaseEnvironment(target: FleetTarget, database: FleetDatabase): Environment {
  return { ...target.environment, databaseUrl: database.databaseUrl, backupDatabase: `${target.name}-${database.name}` };
}

/**
 * A target's own `dir` that is not there is the config's mistake, not --dir's (which it overrides): the
 * refusal names the target and its key, and where the folder was looked for.
 */
function checkTargetFolder(target: Target): void {
  if (target.implicit || target.environment.targets?.[target.name]?.dir === undefined || existsSync(target.dir)) return;
  throw new UsageError(`target ${target.name} of ${target.environment.name}: its migrations folder ${target.dir} does not exist`, {
    hint: `Fix targets.${target.name}.dir in the config, or run where it is relative to (the working folder); --dir does not change a target's own folder.`,
  });
}

/** The target's migrations folder, read. */
export function catalogOf(target: Target): Catalog {
  checkTargetFolder(target);
  return readCatalog(target.dir, target.layout);
}

/** The same catalog read a few milliseconds at a time (`readCatalogInTurns`), beside a command's own round trips. */
export async function catalogInTurnsOf(target: Target): Promise<Catalog> {
  checkTargetFolder(target);
  return readCatalogInTurns(target.dir, target.layout);
}
