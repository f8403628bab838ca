import type { Statement } from "./parse.ts";
import type { SchemaModel } from "./schema-model.ts";

/** The design document's four migration types, from least to most risky. */
export type MigrationType = "Data-only" | "DDL Add" | "DDL Modify" | "DDL Delete";

export interface MigrationTypeInfo {
  downtime: string;
  strategy: string;
  rollbackComplexity: string;
  useCase: string;
}

export type Severity = "error" | "warning";

/** Something in a file that locks or breaks a live database, with the safe way to do it. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** The migration's or rollback file's path, as in the catalog. */
  file: string;
  line: number;
  column: number;
  /** What breaks for whom. */
  message: string;
  safeWay: string;
  /** The live table it is about (`schema.table`), for rules that lock one. */
  table?: string;
}

/** A finding silenced in the file by `-- rookery:allow RULE reason`; the reason is shown to approvers. */
export interface SuppressedFinding extends Finding {
  reason: string;
  /** Where the allow comment is. */
  allowedAt: { file: string; line: number };
}

export interface AnalyzedStatement {
  kind: string;
  line: number;
  type: MigrationType;
  nonTransactional: boolean;
}

export interface SyntaxErrorReport {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface MigrationAnalysis {
  version: string;
  path: string;
  rollbackPath?: string;
  /** The riskiest type of its statements; a file that does not parse counts as the riskiest of all. */
  type: MigrationType;
  typeInfo: MigrationTypeInfo;
  statements: AnalyzedStatement[];
  /** Findings still in force, in file order. A syntax error is also here, as rule `syntax-error`. */
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** The first syntax error of the migration, else of its rollback file. */
  syntaxError?: SyntaxErrorReport;
}

/** A parsed file, with the byte-to-position mapping its findings need. */
export interface ParsedFile {
  file: string;
  sql: string;
  statements: Statement[];
}

/** What a rule sees: the migration, its rollback when there is one, and which tables this file creates. */
export interface RuleContext {
  migration: ParsedFile;
  rollback?: ParsedFile;
  /** Tables created in the migration itself (`schema.name`, unqualified names as `public.name`): changing them locks nobody. */
  newTables: ReadonlySet<string>;
  /** True only when the migration is known to have no rollback file (a catalog migration without one). */
  rollbackMissing: boolean;
  /** The migration's riskiest statement type. */
  type: MigrationType;
  /**
   * The tables and column types the catalog's earlier migrations left (src/analysis/schema-model.ts),
   * when the migration is analysed as part of its catalog; undefined for a lone file.
   */
  schema?: SchemaModel;
  /** The target's Postgres major version, when known (`server_version_num`, or the `postgresVersion` key). */
  postgresVersion?: number;
}

/** One place a rule fires. `location` is the parse tree's byte offset; without it, the statement's start. */
export interface RuleHit {
  statement: Statement;
  location?: number;
  message: string;
  /** Defaults to the migration file. */
  inRollback?: boolean;
  /** The table it locks (`schema.table`): with the live database, its size is shown. */
  table?: string;
}

/** One lint rule, in a file named after its id under src/analysis/rules/. */
export interface Rule {
  id: string;
  severity: Severity;
  /** Why it hurts, one line, for the README and `--json`. */
  why: string;
  safeWay: string;
  check(context: RuleContext): RuleHit[];
}
