import type { AlertLevel } from "../requests/index.ts";
import type { Config, Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import { getHealth } from "../runner/index.ts";
import type { HealthRow } from "../runner/types.ts";
import { databaseEnvironment, eachDatabase, fleetDatabases, hasTargets, resolveTargets, type Target } from "../targets/index.ts";
import type { HealthProblem } from "./health-problems.ts";

/** `a, b, c and 12 more`: a fleet's names in one short line. */
function names(list: string[], max = 8): string {
  return list.length <= max ? list.join(", ") : `${list.slice(0, max).join(", ")} and ${list.length - max} more`;
}

async function databasesOf(target: Target): Promise<{ name: string; environment: Environment }[]> {
  if (target.kind === "database") return [{ name: target.name, environment: target.environment }];
  return (await fleetDatabases(target)).map((database) => ({ name: database.name, environment: databaseEnvironment(target, database) }));
}

/**
 * The health of an environment's targets other than its primary database (which the poll reads as
 * before), grouped: one problem per target, version and state, naming the databases it is on, so a
 * migration failed on 40 tenant databases is one alert, not 40. A registry that cannot be read and
 * databases that cannot be reached are problems of their own.
 */
export async function targetHealthProblems(config: Config, environment: Environment): Promise<HealthProblem[]> {
  if (!hasTargets(environment)) return [];
  const problems: HealthProblem[] = [];
  for (const target of resolveTargets(config, environment)) {
    if (target.kind === "database" && target.environment.databaseUrl === environment.databaseUrl) continue;
    let databases: { name: string; environment: Environment }[];
    try {
      databases = await databasesOf(target);
    } catch (error) {
      problems.push({ key: `target:${target.name}:registry`, level: "CRITICAL", version: null, message: describeError(error), suggestedCommand: `rookery status --env ${environment.name} --target ${target.name}` });
      continue;
    }
    const width = target.kind === "fleet" ? target.fleet.maxParallel : 1;
    const read = await eachDatabase(
      databases.map((database) => ({ name: database.name, databaseUrl: database.environment.databaseUrl })),
      width,
      async (database): Promise<{ name: string; rows: HealthRow[] | null }> => {
        const own = databases.find((candidate) => candidate.name === database.name)!;
        try {
          return { name: database.name, rows: await getHealth(own.environment) };
        } catch {
          return { name: database.name, rows: null };
        }
      },
    );
    const groups = new Map<string, { level: AlertLevel; version: string; status: string; description: string; databases: string[] }>();
    for (const { name, rows } of read) {
      for (const row of rows ?? []) {
        if (row.alertLevel !== "CRITICAL" && row.alertLevel !== "WARNING") continue;
        const key = `target:${target.name}:migration_health:${row.version}:${row.status}`;
        const group = groups.get(key) ?? { level: row.alertLevel, version: row.version, status: row.status, description: row.description, databases: [] };
        group.databases.push(name);
        groups.set(key, group);
      }
    }
    const where = (list: string[]) => (target.kind === "fleet" ? `on ${list.length} of ${databases.length} databases of ${target.name} (${names(list)})` : `on ${target.name}`);
    for (const [key, group] of groups) {
      problems.push({
        key,
        level: group.level,
        version: group.version,
        message: `migration ${group.version} (${group.description}) is ${group.status.replace("_", " ")} ${where(group.databases)}`,
        suggestedCommand: `rookery health --env ${environment.name} --target ${target.name}`,
      });
    }
    const unreachable = read.filter((entry) => entry.rows === null).map((entry) => entry.name);
    if (unreachable.length > 0) {
      problems.push({
        key: `target:${target.name}:unreachable`,
        level: "WARNING",
        version: null,
        message: `${unreachable.length} database(s) of ${target.name} could not be read: ${names(unreachable)}`,
        suggestedCommand: `rookery status --env ${environment.name} --target ${target.name}`,
      });
    }
  }
  return problems;
}
