import type { Catalog } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import { databaseLabel } from "../session/session.ts";
import { environmentOf, prepareTargets, type PreparedTarget } from "./prepare-targets.ts";
import { eachDatabase } from "./each-database.ts";
import type { Target } from "./resolve.ts";

export interface DatabaseResult<R> {
  database: string;
  where: string;
  report: R | null;
  error: string | null;
}

export interface TargetResult<R> {
  target: string;
  kind: Target["kind"];
  databases: DatabaseResult<R>[];
}

/**
 * `read` on every database of every target (a fleet's at most maxParallel, or --parallel, at once); a
 * database that cannot be read is reported with its error, the others still are.
 */
export async function readTargets<R>(
  targets: Target[],
  parallel: number | undefined,
  read: (environment: Environment, catalog: Catalog, prepared: PreparedTarget) => Promise<R>,
): Promise<TargetResult<R>[]> {
  const results: TargetResult<R>[] = [];
  for (const prepared of await prepareTargets(targets)) {
    const width = parallel ?? (prepared.target.kind === "fleet" ? prepared.target.fleet.maxParallel : 1);
    const databases = await eachDatabase(prepared.databases, width, async (database): Promise<DatabaseResult<R>> => {
      const where = databaseLabel(database.databaseUrl);
      try {
        return { database: database.name, where, report: await read(environmentOf(prepared, database), prepared.catalog, prepared), error: null };
      } catch (error) {
        return { database: database.name, where, report: null, error: describeError(error) };
      }
    });
    results.push({ target: prepared.target.name, kind: prepared.target.kind, databases });
  }
  return results;
}

