import type { ParseArgsConfig } from "node:util";
import type { Config, Environment } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { resolveTargets, type Target } from "../targets/resolve.ts";
import type { DatabaseResult, TargetResult } from "../targets/read-targets.ts";
import type { CliIO } from "./command.ts";
import { configFor } from "./format.ts";

export { readTargets, type DatabaseResult, type TargetResult } from "../targets/read-targets.ts";

/** Options of the commands that cover every target of an environment (docs/targets.md). */
export const TARGET_OPTIONS = {
  target: { type: "string" },
  parallel: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const TARGET_HELP = `Targets (an environment with several databases, docs/targets.md):
  --target NAME   only this target (default: every target, in targetOrder)
  --parallel N    databases of a fleet at once (default: the fleet's maxParallel)`;

export interface TargetValues {
  env?: string;
  dir?: string;
  config?: string;
  target?: string;
  parallel?: string;
}

export function parallelOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parallel = Number(value);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
    throw new UsageError(`--parallel ${value} is not a whole number from 1 to 64`, { hint: "e.g. --parallel 8" });
  }
  return parallel;
}

export interface CommandTargets {
  config: Config;
  environment: Environment;
  targets: Target[];
  /** False for an environment without targets and no --target: output keeps the single-database shape. */
  many: boolean;
  parallel: number | undefined;
}

export function targetsFor(values: TargetValues, io: CliIO): CommandTargets {
  const { config, environment } = configFor(values, io);
  const targets = resolveTargets(config, environment, values.target);
  return { config, environment, targets, many: !targets[0]!.implicit, parallel: parallelOption(values.parallel) };
}

/** `production/oltp (host:5432/oltp)`: the heading over one database's section. */
export function heading(environment: string, result: TargetResult<unknown>, database: DatabaseResult<unknown>): string {
  const name = result.kind === "fleet" ? `${result.target}/${database.database}` : result.target;
  return `== ${environment}/${name} (${database.where}) ==\n`;
}

/** `acme, bolt and 3 more`: database names in a line that stays short for a fleet of hundreds. */
export function someNames(names: string[], max = 8): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

/** The databases that could not be read, one line each (an error's hint joined on it, as tables do); empty when every one was. */
export function unreadable(results: TargetResult<unknown>[]): string {
  const lines = results.flatMap((result) =>
    result.databases.filter((database) => database.error).map((database) => `  ${result.target}/${database.database}: ${database.error!.replace(/\s*\n\s*/g, "  ")}`),
  );
  return lines.length > 0 ? `\ncould not read ${lines.length} database(s):\n${lines.join("\n")}\n` : "";
}

/** The `--json` shape every command shares across targets (docs/targets.md); `fields` spreads one database's report. */
export function targetsJson<R>(
  environment: string,
  ok: boolean,
  results: TargetResult<R>[],
  fields: (report: R | null) => object,
  fleetFields: (result: TargetResult<R>) => object = () => ({}),
): object {
  return {
    ok,
    environment,
    targets: results.map((result) => ({
      target: result.target,
      kind: result.kind,
      ...(result.kind === "fleet" ? fleetFields(result) : {}),
      databases: result.databases.map(({ report, ...database }) => ({ ...database, ...fields(report) })),
    })),
  };
}

/** Each target in order: a fleet's summary, or a single database's section under its heading; then what could not be read. */
export function printTargets<R>(
  io: CliIO,
  environment: string,
  results: TargetResult<R>[],
  print: { fleet(result: TargetResult<R>): void; database(report: R): void },
): void {
  for (const result of results) {
    if (result.kind === "fleet") {
      print.fleet(result);
      continue;
    }
    const database = result.databases[0]!;
    io.stdout(heading(environment, result, database));
    if (database.report) print.database(database.report);
    io.stdout("\n");
  }
  io.stdout(unreadable(results));
}
