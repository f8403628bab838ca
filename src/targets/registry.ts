import { withClient } from "../db/index.ts";
import { FleetDatabaseSchema, type FleetDatabase } from "../config/targets.ts";
import { describeErrorWithoutHint, RookeryError } from "../errors.ts";
import { redactUrl } from "../log/redact-url.ts";
import type { FleetTarget } from "./resolve.ts";

/** The registry query may not hang a deploy: it reads a list, it has no business running long. */
const REGISTRY_STATEMENT_TIMEOUT_MS = 30_000;

/** The registry could not be read, or what it returned cannot be trusted: nothing of the fleet runs. */
export class FleetRegistryError extends RookeryError {
  constructor(target: string, problem: string, details: string[] = []) {
    super(`fleet ${target}: ${problem}; nothing was run${details.map((line) => `\n  ${line}`).join("")}`, {
      hint: "Fix the registry (fleet.registry.databaseUrl and query in the config, or the rows it returns), then run it again.",
    });
  }
}

/** The URL of a row as the registry may spell it. */
function urlOf(row: Record<string, unknown>): unknown {
  return row.url ?? row.database_url ?? row.databaseUrl;
}

/** What is wrong with one registry row, naming it without ever printing a password. */
function rowProblem(row: Record<string, unknown>, index: number): string | undefined {
  const parsed = FleetDatabaseSchema.safeParse({ name: row.name, databaseUrl: urlOf(row) });
  if (parsed.success) return undefined;
  const url = urlOf(row);
  const shown = typeof url === "string" ? ` (${redactUrl(url)})` : "";
  const label = typeof row.name === "string" ? `"${row.name}"` : `row ${index + 1}`;
  return `${label}${shown}: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`;
}

async function readRegistry(target: FleetTarget): Promise<FleetDatabase[]> {
  const registry = target.fleet.registry!;
  let rows: Record<string, unknown>[];
  try {
    rows = await withClient(registry.databaseUrl, async (client) => {
      await client.query(`SET statement_timeout = ${REGISTRY_STATEMENT_TIMEOUT_MS}`);
      await client.query("SET default_transaction_read_only = on");
      return (await client.query<Record<string, unknown>>(registry.query)).rows;
    });
  } catch (error) {
    // Without the connection's own hint (the environment's databaseUrl, docker-compose): this one names the registry's key.
    throw new FleetRegistryError(target.name, `the registry query failed: ${describeErrorWithoutHint(error)}`);
  }
  // A fleet lists at least one database (as `databases` must): no rows is a wrong query or registry, not a fleet.
  if (rows.length === 0) throw new FleetRegistryError(target.name, "the registry query returned no rows, and a fleet needs at least one database");
  const problems = rows.map(rowProblem).filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) {
    const more = problems.length > 10 ? [`... and ${problems.length - 10} more`] : [];
    throw new FleetRegistryError(target.name, `the registry returned ${problems.length} bad row(s), each needs a name and a postgres:// url`, [...problems.slice(0, 10), ...more]);
  }
  return rows.map((row) => ({ name: String(row.name), databaseUrl: String(urlOf(row)) }));
}

/**
 * The fleet's databases in wave order: as listed in the config, or as the registry returns them. A
 * registry that fails, returns no rows, a bad row or a name twice is refused as a whole, before anything runs.
 */
export async function fleetDatabases(target: FleetTarget): Promise<FleetDatabase[]> {
  const databases = target.fleet.databases ?? (await readRegistry(target));
  const seen = new Set<string>();
  const twice = databases.filter((database) => seen.size === seen.add(database.name).size).map((database) => database.name);
  if (twice.length > 0) throw new FleetRegistryError(target.name, `the registry returned ${[...new Set(twice)].join(", ")} more than once`);
  return databases;
}
