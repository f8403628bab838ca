import type { Migration } from "../catalog/index.ts";
import { isExpandContract } from "../catalog/read.ts";
import { createdTables, migrationType, statementType } from "./classify.ts";
import { MIGRATION_TYPES } from "./migration-types.ts";
import { dropInsertTrees, isNonTransactional, parseStatements, positionOfLocation, SqlSyntaxError } from "./parse.ts";
import { RULES, RULE_IDS } from "./rules/index.ts";
import { allowProblems, applyAllows, readAllows } from "./suppress.ts";
import type { SchemaModel } from "./schema-model.ts";
import type { Finding, MigrationAnalysis, MigrationType, ParsedFile, RuleContext, RuleHit, Rule, SyntaxErrorReport } from "./types.ts";

export type * from "./types.ts";
export { MIGRATION_TYPES, riskiest } from "./migration-types.ts";
export { RULES } from "./rules/index.ts";
export { loadParser } from "./parse.ts";
export { analyzeCatalog, type CatalogAnalysisOptions } from "./catalog.ts";

type Parsed = { ok: true; file: ParsedFile } | { ok: false; error: SyntaxErrorReport };

function parseFile(sql: string, file: string): Parsed {
  try {
    return { ok: true, file: { file, sql, statements: parseStatements(sql, file) } };
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    return { ok: false, error: { file, line: error.line, column: error.column, message: error.detail } };
  }
}

function syntaxFinding(error: SyntaxErrorReport): Finding {
  return {
    rule: "syntax-error",
    severity: "error",
    ...error,
    message: `Postgres cannot parse this file: ${error.message}; nothing in it can run`,
    safeWay: "Fix the SQL at this position; `rookery lint FILE` checks it without a database.",
  };
}

function toFinding(rule: Rule, hit: RuleHit, context: RuleContext): Finding {
  const file = hit.inRollback && context.rollback ? context.rollback : context.migration;
  const position =
    hit.location !== undefined && hit.location >= 0
      ? positionOfLocation(file.sql, hit.location)
      : { line: hit.statement.line, column: hit.statement.column };
  return { rule: rule.id, severity: rule.severity, file: file.file, ...position, message: hit.message, safeWay: rule.safeWay, ...(hit.table ? { table: hit.table } : {}) };
}

function byPosition(migrationPath: string) {
  return (a: Finding, b: Finding) =>
    Number(a.file !== migrationPath) - Number(b.file !== migrationPath) || a.line - b.line || a.column - b.column;
}

/** Rules whose danger the two phases of expand-contract remove: each change is additive until complete, and abort needs no rollback file. */
const MADE_SAFE_BY_EXPAND_CONTRACT = new Set([
  "changing-column-type",
  "renaming-column-or-table",
  "setting-not-null-without-check",
  "adding-not-nullable-field",
  "dropping-column-or-table",
  "adding-constraint-without-not-valid",
  "adding-unique-constraint-without-index",
  "ddl-without-rollback-file",
]);

export interface AnalyzeOptions {
  version?: string;
  /** The rollback file; `null` when the migration has none, left out when unknown (a lone file). */
  rollback?: { path: string; sql: string } | null;
  /** What the catalog's earlier migrations made of the schema (src/analysis/catalog.ts). */
  schema?: SchemaModel;
  /**
   * Tables that are empty when this migration runs, though it did not create them: made by an earlier
   * migration of the same run, or empty (or small) on the live database. Locking them blocks nobody.
   */
  quietTables?: ReadonlySet<string>;
  /** The target's Postgres major version: rules whose hazard depends on it (a constant default before 11) use it. */
  postgresVersion?: number;
}

/**
 * Classifies a migration and lints it with the real Postgres parser. Never throws for bad SQL:
 * a syntax error comes back in `syntaxError` (and as a `syntax-error` finding) so plan and approval can show it.
 * The caller must have awaited `loadParser()` once (the CLI and the worker do it at start).
 */
export function analyzeSql(sql: string, file: string, options: AnalyzeOptions = {}): MigrationAnalysis {
  const migration = parseFile(sql, file);
  const rollback = options.rollback ? parseFile(options.rollback.sql, options.rollback.path) : undefined;
  const syntaxErrors = [migration, rollback].flatMap((parsed) => (parsed && !parsed.ok ? [parsed.error] : []));
  const statements = migration.ok ? migration.file.statements : [];
  const newTables = createdTables(statements);
  const type = migration.ok ? migrationType(statements, newTables) : "DDL Delete";

  let ruleFindings: Finding[] = [];
  if (migration.ok) {
    const context: RuleContext = {
      migration: migration.file,
      rollback: rollback?.ok ? rollback.file : undefined,
      newTables: options.quietTables ? new Set([...newTables, ...options.quietTables]) : newTables,
      rollbackMissing: options.rollback === null,
      type,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.postgresVersion !== undefined ? { postgresVersion: options.postgresVersion } : {}),
    };
    // An expand-contract file runs these changes in two phases (src/expand/): what they warn of cannot happen.
    const rules = isExpandContract(sql) ? RULES.filter((rule) => !MADE_SAFE_BY_EXPAND_CONTRACT.has(rule.id)) : RULES;
    ruleFindings = rules.flatMap((rule) => rule.check(context).map((hit) => toFinding(rule, hit, context)));
  }

  const allows = [...readAllows(sql, file), ...(options.rollback ? readAllows(options.rollback.sql, options.rollback.path) : [])];
  const { findings, suppressed } = applyAllows(ruleFindings, allows);
  return {
    version: options.version ?? "",
    path: file,
    ...(options.rollback ? { rollbackPath: options.rollback.path } : {}),
    type,
    typeInfo: MIGRATION_TYPES[type],
    statements: statements.map((statement) => ({
      kind: statement.kind,
      line: statement.line,
      type: statementType(statement, newTables),
      nonTransactional: isNonTransactional(statement),
    })),
    findings: [...syntaxErrors.map(syntaxFinding), ...findings, ...allowProblems(allows, RULE_IDS)].sort(byPosition(file)),
    suppressed,
    ...(syntaxErrors[0] ? { syntaxError: syntaxErrors[0] } : {}),
  };
}

/** `analyzeSql` for a catalog migration and its rollback file. Await `loadParser()` once before. */
export function analyzeMigration(migration: Migration): MigrationAnalysis {
  return analyzeSql(migration.sql, migration.path, {
    version: migration.version,
    rollback: migration.rollback ? { path: migration.rollback.path, sql: migration.rollback.sql } : null,
  });
}

/**
 * The migration's type alone, as `analyzeMigration` gives it (a file that does not parse counts as a
 * DDL Delete), for a caller that needs no findings: an INSERT is Data-only whatever its tree holds,
 * so the trees are dropped, a fraction of a large data file's memory. Await `loadParser()` once before.
 */
export function classifyMigration(migration: Migration): MigrationType {
  try {
    const statements = parseStatements(migration.sql, migration.path, dropInsertTrees);
    return migrationType(statements, createdTables(statements));
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    return "DDL Delete";
  }
}
