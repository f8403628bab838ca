import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { analyzeCatalog, analyzeSql, loadParser, type CatalogAnalysisOptions, type Finding, type MigrationAnalysis } from "../analysis/index.ts";
import { readCatalog, type Catalog, type LayoutName } from "../catalog/index.ts";
import { UsageError } from "../errors.ts";
import { loadConfig, selectEnvironment, type Environment } from "../config/index.ts";
import { lintKnowledge } from "../runner/lint-knowledge.ts";
import { COMMON_HELP, EXIT, printJson, type CliCommand, type CliIO } from "./command.ts";
import { findingsText, runCommand, table } from "./format.ts";

const HELP = `Usage: rookery lint [FILES...] [--all]

Classifies migrations (Data-only, DDL Add, DDL Modify, DDL Delete) and lints them with the Postgres
parser for changes that lock or break a live database. Prints each finding like a compiler,
\`file:line:col rule-id message\`, with the safe way on the next line.

  FILES   migration or rollback files; one inside the migrations folder is linted with its
          rollback file (a rollback file with its migration). No database needed.
  --all   every migration in the folder. No database needed.
  (none)  the migrations still pending in the environment (reads its ledger).

Each catalog migration is linted knowing the columns and types the folder's earlier migrations
create (they are replayed through the parser): a type change Postgres makes without a rewrite
(the same type, varchar(n) to a larger n or text, numeric precision up, ...) is no error. With the
ledger (no FILES, or --env given) a table an earlier migration of the same run creates is new and
locks nobody, and live tables that are empty (or under smallTableBytes) are no locking hazard; a
finding on a live table shows its estimated rows and size. Without a database, earlier migrations
count as applied and their tables as live.

Silence a finding in the file with \`-- rookery:allow RULE-ID reason\`; approvers see the reason.

${COMMON_HELP.replace("Exit codes: 0 ok, 1 failed, 2 usage error.", "")}Exit codes: 0 no error-level finding left, 1 an error-level finding or syntax error remains (or the
command failed), 2 usage error.`;

/** An analysis with the path to print for its files (a catalog file relative to the migrations folder, as in the ledger). */
interface Linted {
  analysis: MigrationAnalysis;
  /** Catalog path (or the path as given) -> path to print. */
  shown: (file: string) => string;
}

/**
 * A catalog file as the rest of Rookery names it, relative to the migrations folder: run from
 * elsewhere, a path relative to the working folder would read `../../migrations/...`.
 */
function catalogDisplay() {
  return (file: string) => file;
}

/** Files as given: a catalog file brings its migration (with its rollback), any other is linted alone. */
function lintFiles(files: string[], catalog: Catalog | undefined, io: CliIO, target: CatalogAnalysisOptions): Linted[] {
  const linted = new Map<string, Linted>();
  for (const given of files) {
    const absolute = path.resolve(io.cwd, given);
    if (!existsSync(absolute) || !statSync(absolute).isFile()) {
      throw new UsageError(`${given} is not a file`, { hint: "Pass paths of .sql files, relative to the current folder, or --all for the whole folder." });
    }
    const relative = catalog ? path.relative(catalog.dir, absolute).split(path.sep).join("/") : "";
    const migration = catalog?.migrations.find((candidate) => candidate.path === relative || candidate.rollback?.path === relative);
    if (migration && catalog) {
      linted.set(migration.path, { analysis: analyzeCatalog(catalog, [migration], target).get(migration.version)!, shown: catalogDisplay() });
    } else {
      linted.set(absolute, { analysis: analyzeSql(readFileSync(absolute, "utf8"), given), shown: (file) => file });
    }
  }
  return [...linted.values()];
}

/**
 * What the target says about the run: which versions are applied (so tables made by the others are new
 * when they run) and its live tables' sizes. Without a database every earlier migration counts as
 * applied, its tables live: lint then never under-reports.
 */
async function targetKnowledge(environmentOf: () => Environment, catalog: Catalog, withDatabase: boolean): Promise<CatalogAnalysisOptions> {
  if (!withDatabase) return { applied: new Set(catalog.migrations.map((migration) => migration.version)), ...declaredVersion(environmentOf) };
  return lintKnowledge(environmentOf(), catalog);
}

/** The `postgresVersion` key of the environment, when one is configured and chosen. */
function declaredVersion(environmentOf: () => Environment): { postgresVersion?: number } {
  try {
    const { postgresVersion } = environmentOf();
    return postgresVersion !== undefined ? { postgresVersion } : {};
  } catch {
    return {};
  }
}

/** The folder's catalog when it can be read; lone files are still linted when it cannot. */
function catalogIfReadable(dir: string, layout: LayoutName | "auto" | undefined): Catalog | undefined {
  try {
    return readCatalog(dir, layout);
  } catch {
    return undefined;
  }
}

function counts(linted: Linted[]) {
  const findings = linted.flatMap(({ analysis }) => analysis.findings);
  return {
    errors: findings.filter((finding) => finding.severity === "error").length,
    warnings: findings.filter((finding) => finding.severity === "warning").length,
    suppressed: linted.reduce((sum, { analysis }) => sum + analysis.suppressed.length, 0),
  };
}

function findingLines(finding: Finding, shown: Linted["shown"]): string {
  return `${shown(finding.file)}:${finding.line}:${finding.column} ${finding.rule} ${finding.message}\n    ${finding.severity}; safe way: ${finding.safeWay}\n`;
}

function printReport(io: CliIO, linted: Linted[]): void {
  for (const { analysis, shown } of linted) {
    for (const finding of analysis.findings) io.stdout(findingLines(finding, shown));
    for (const allowed of analysis.suppressed) {
      io.stdout(`${shown(allowed.file)}:${allowed.line}:${allowed.column} ${allowed.rule} allowed: ${allowed.reason}\n`);
    }
  }
  const rows = linted.map(({ analysis, shown }) => {
    const count = (severity: string) => analysis.findings.filter((finding) => finding.severity === severity).length;
    return [shown(analysis.path), analysis.type, findingsText({ error: count("error"), warning: count("warning") })];
  });
  const total = counts(linted);
  io.stdout(`${linted.some(({ analysis }) => analysis.findings.length + analysis.suppressed.length > 0) ? "\n" : ""}${table(rows, ["FILE", "TYPE", "LINT"])}`);
  io.stdout(
    `${linted.length} migration(s) linted: ${total.errors} error(s), ${total.warnings} warning(s), ${total.suppressed} allowed\n`,
  );
}

export const lintCommand: CliCommand = {
  help: HELP,
  run: (args, io) =>
    runCommand(args, io, { all: { type: "boolean", default: false } }, async ({ values, positionals }) => {
      if (values.all && positionals.length > 0) {
        throw new UsageError("--all and FILES cannot be combined", { hint: "Lint either the whole folder (--all) or the files named." });
      }
      await loadParser();
      // Files and --all need no database, so no environment either: several configured need no --env.
      const config = loadConfig({ env: io.env, cwd: io.cwd, migrationsDir: values.dir, configFile: values.config });
      const environment = () => selectEnvironment(config, values.env);
      let linted: Linted[];
      const withDatabase = values.env !== undefined || (positionals.length === 0 && !values.all);
      if (positionals.length > 0) {
        const catalog = catalogIfReadable(config.migrationsDir, config.layout);
        linted = lintFiles(positionals, catalog, io, catalog ? await targetKnowledge(environment, catalog, withDatabase) : {});
      } else {
        const catalog = readCatalog(config.migrationsDir, config.layout);
        const target = await targetKnowledge(environment, catalog, withDatabase);
        const wanted = values.all ? catalog.migrations : catalog.migrations.filter((migration) => !target.applied?.has(migration.version));
        const analyses = analyzeCatalog(catalog, wanted, target);
        linted = wanted.map((migration) => ({ analysis: analyses.get(migration.version)!, shown: catalogDisplay() }));
      }
      const total = counts(linted);
      if (values.json) {
        printJson(io, { ok: total.errors === 0, ...total, analyses: linted.map(({ analysis }) => analysis) });
      } else if (linted.length === 0) {
        io.stdout(values.all || positionals.length > 0 ? "no migrations, nothing to lint\n" : `${environment().name}: no pending migration, nothing to lint\n`);
      } else {
        printReport(io, linted);
      }
      return total.errors > 0 ? EXIT.failed : EXIT.ok;
    }),
};
