import os from "node:os";
import type { ParseArgsConfig } from "node:util";
import type { MigrationType, MigrationTypeInfo, SyntaxErrorReport } from "../analysis/types.ts";
import { lazyCatalog, readCatalog, type Catalog, type Migration } from "../catalog/index.ts";
import { loadConfig, selectEnvironment, type Config, type Environment } from "../config/index.ts";
import type { ProgressListener } from "../runner/types.ts";
import { COMMON_OPTIONS, guard, parseCommandArgs, type CliIO } from "./command.ts";

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

export interface CommonValues {
  env?: string;
  dir?: string;
  config?: string;
}

/** The config and the chosen environment, from the common options. */
export function configFor(values: CommonValues, io: CliIO): { config: Config; environment: Environment } {
  const config = loadConfig({ env: io.env, cwd: io.cwd, migrationsDir: values.dir, configFile: values.config });
  return { config, environment: selectEnvironment(config, values.env) };
}

export interface CommandTarget {
  config: Config;
  environment: Environment;
  catalog: Catalog;
}

/** The config, the chosen environment and the migrations folder read into a catalog. */
export function targetFor(values: { env?: string; dir?: string; config?: string }, io: CliIO): CommandTarget {
  const { config, environment } = configFor(values, io);
  return { config, environment, catalog: readCatalog(config.migrationsDir, config.layout) };
}

/** The same, the folder read only once something asks for its migrations (`lazyCatalog`): for a rollback, which runs stored scripts. */
export function lazyTargetFor(values: { env?: string; dir?: string; config?: string }, io: CliIO): CommandTarget {
  const { config, environment } = configFor(values, io);
  return { config, environment, catalog: lazyCatalog(config.migrationsDir, config.layout) };
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
  // One line per row: a cell of several lines (an error with its DETAIL and HINT) is joined on one.
  const all = (header ? [header, ...rows] : rows).map((row) => row.map((cell) => cell.replace(/\s*\n\s*/g, "  ")));
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

/**
 * A migration's type (the document's four) with the document's downtime, strategy and rollback complexity,
 * how many lint findings of each severity it has, and its syntax error if it has one.
 */
export interface MigrationSummary {
  type: MigrationType;
  typeInfo: MigrationTypeInfo;
  findings: { error: number; warning: number };
  syntaxError: SyntaxErrorReport | null;
}

/**
 * Summaries of these migrations by version, for plan and status, linted as `rookery lint` lints them on
 * this target (src/runner/lint-knowledge.ts): each file alone, and one with findings again knowing the
 * catalog's earlier files and the ledger's `applied` set (read from the ledger when not given). The
 * analysis (the WebAssembly parser and the rules) is loaded only when there is something to analyse.
 */
export async function summarize(
  environment: Environment,
  catalog: Catalog,
  migrations: Migration[],
  applied?: ReadonlySet<string>,
): Promise<Map<string, MigrationSummary>> {
  if (migrations.length === 0) return new Map();
  const [{ loadParser }, { analyzeForTarget }] = await Promise.all([import("../analysis/index.ts"), import("../runner/lint-knowledge.ts")]);
  await loadParser();
  const analyses = await analyzeForTarget(environment, catalog, migrations, applied);
  return new Map(
    [...analyses].map(([version, { type, typeInfo, findings, syntaxError }]) => {
      const count = (severity: string) => findings.filter((finding) => finding.severity === severity).length;
      const summary: MigrationSummary = {
        type,
        typeInfo,
        findings: { error: count("error"), warning: count("warning") },
        syntaxError: syntaxError ?? null,
      };
      return [version, summary];
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

/**
 * Below a plan or status table: what each type present means (the document's table), and every syntax
 * error by file, line and column, since such a migration cannot run.
 */
type MaybeSummary = { [K in keyof MigrationSummary]?: MigrationSummary[K] | null };

export function analysisNotes(summaries: Iterable<MaybeSummary>): string {
  const types = new Map<MigrationType, MigrationTypeInfo>();
  const errors: SyntaxErrorReport[] = [];
  for (const summary of summaries) {
    if (summary?.type && summary.typeInfo) types.set(summary.type, summary.typeInfo);
    if (summary?.syntaxError) errors.push(summary.syntaxError);
  }
  const lines = [...types].map(
    ([type, info]) => `  ${type}: downtime ${info.downtime}, ${info.strategy}, rollback complexity ${info.rollbackComplexity}`,
  );
  const notes = lines.length > 0 ? `\nTypes:\n${lines.join("\n")}\n` : "";
  const syntax = errors.map((error) => `  ${error.file}:${error.line}:${error.column}: ${error.message}`);
  return syntax.length > 0 ? `${notes}\nSyntax errors (fix them first; \`rookery lint\` shows every finding):\n${syntax.join("\n")}\n` : notes;
}
