import os from "node:os";
import type { ParseArgsConfig } from "node:util";
import { analyzeMigration, loadParser, type MigrationType } from "../analysis/index.ts";
import { readCatalog, type Catalog, type Migration } from "../catalog/index.ts";
import type { Config, Environment } from "../config/index.ts";
import type { ProgressListener } from "../runner/types.ts";
import { COMMON_OPTIONS, configFor, guard, parseCommandArgs, type CliIO } from "./command.ts";

/**
 * What every database command shares: parse the options (a bad option is a usage error, in JSON
 * too when --json was asked for), then run the body under `guard` so errors become exit codes.
 */
export function runCommand<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  io: CliIO,
  options: O,
  body: (parsed: ReturnType<typeof parseCommandArgs<O & typeof COMMON_OPTIONS>>) => Promise<number>,
): Promise<number> {
  // Known before parsing, so even an unknown option is reported in the shape the caller asked for.
  const json = args.includes("--json");
  return guard(io, json, () => body(parseCommandArgs(args, { ...COMMON_OPTIONS, ...options })));
}

export interface CommandTarget {
  config: Config;
  environment: Environment;
  catalog: Catalog;
}

/** The config, the chosen environment and the migrations folder read into a catalog. */
export function targetFor(values: { env?: string; dir?: string; config?: string }, io: CliIO): CommandTarget {
  const { config, environment } = configFor(values, io);
  return { config, environment, catalog: readCatalog(config.migrationsDir) };
}

/** Who the ledger records as having done it: ROOKERY_ACTOR, else `cli:<login name>`. */
export function cliActor(env: NodeJS.ProcessEnv): string {
  const explicit = env.ROOKERY_ACTOR?.trim();
  if (explicit) return explicit;
  let login: string;
  try {
    login = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment still names the user.
    login = env.USER ?? env.LOGNAME ?? "unknown";
  }
  return `cli:${login}`;
}

/** Progress goes to stderr, so stdout stays clean for --json and pipes. */
export function progressTo(io: CliIO): ProgressListener {
  return (event) => io.stderr(`${event.message}\n`);
}

/** Rows as aligned columns; the last column is never padded. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return "";
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return all
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}

/** A timestamp from the ledger, short and in UTC: `2025-11-01 14:30:00Z`. */
export function shortTime(iso: string | undefined | null): string {
  if (!iso) return "-";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** A migration's type (the document's four) and how many lint findings of each severity it has. */
export interface MigrationSummary {
  type: MigrationType;
  findings: { error: number; warning: number };
}

/** Summaries of these migrations by version, for plan and status. */
export async function summarize(migrations: Migration[]): Promise<Map<string, MigrationSummary>> {
  await loadParser();
  return new Map(
    migrations.map((migration) => {
      const { type, findings } = analyzeMigration(migration);
      const count = (severity: string) => findings.filter((finding) => finding.severity === severity).length;
      return [migration.version, { type, findings: { error: count("error"), warning: count("warning") } }];
    }),
  );
}

/** `3 errors, 1 warning`, or `clean`. */
export function findingsText(findings: MigrationSummary["findings"] | null | undefined): string {
  if (!findings) return "-";
  const { error, warning } = findings;
  const parts = [error ? `${error} error${error > 1 ? "s" : ""}` : "", warning ? `${warning} warning${warning > 1 ? "s" : ""}` : ""];
  return parts.filter(Boolean).join(", ") || "clean";
}
