/**
 * The data of an expand-contract migration: what its statements ask for (one spec per operation),
 * what expand found in the catalog (facts), and the steps expand runs. All plain JSON, stored in the
 * ledger when the expansion starts, so complete and abort act on what expand did.
 */

export interface TableRef {
  schema: string;
  name: string;
}

/** Where a statement came from, for messages: line in the file and its first words. */
export interface StatementOrigin {
  line: number;
  text: string;
}

interface SpecBase {
  table: TableRef;
  origin: StatementOrigin;
}

export interface RenameColumnSpec extends SpecBase { op: "rename-column"; column: string; to: string }
export interface AlterColumnTypeSpec extends SpecBase {
  op: "alter-column-type";
  column: string;
  /** The new type as written: `bigint`, `numeric(12,2)`. */
  type: string;
  /** USING, over the old shape's columns; else a cast of the column. */
  up?: string;
  /** `-- rookery:down column = expression`, over the new shape's columns; else a cast back. */
  down?: string;
}
export interface SetNotNullSpec extends SpecBase { op: "set-not-null"; column: string; backfill?: string }
export interface AddColumnSpec extends SpecBase {
  op: "add-column";
  column: string;
  type: string;
  default?: string;
  notNull: boolean;
  backfill?: string;
}
export interface AddConstraintSpec extends SpecBase {
  op: "add-constraint";
  name: string;
  kind: "unique" | "check" | "foreign key";
  /** The constraint as written after its name: `CHECK (amount > 0)`, `UNIQUE (email)`. */
  definition: string;
  columns: string[];
}
export interface DropColumnSpec extends SpecBase { op: "drop-column"; column: string; down?: string }
export interface RenameTableSpec extends SpecBase { op: "rename-table"; to: string }
export interface DropTableSpec extends SpecBase { op: "drop-table" }

export type OperationSpec =
  | RenameColumnSpec
  | AlterColumnTypeSpec
  | SetNotNullSpec
  | AddColumnSpec
  | AddConstraintSpec
  | DropColumnSpec
  | RenameTableSpec
  | DropTableSpec;

export type OperationName = OperationSpec["op"];

export interface ColumnFacts {
  name: string;
  /** format_type(): `integer`, `character varying(20)`. */
  type: string;
  notNull: boolean;
  default: string | null;
  identity: boolean;
  generated: boolean;
  /** What uses the column and cannot move to a changed column's shadow: `primary key orders_pkey`, `view public.totals`. */
  usedBy: string[];
  /**
   * Indexes over the column (as a key, in an expression or a predicate) with their definitions, rebuilt
   * on a changed column's shadow; `constraint` when one is a PRIMARY KEY's or a UNIQUE constraint's index
   * (a plan stored before primary keys were copied holds the UNIQUE constraint's name alone).
   */
  indexes: { name: string; definition: string; constraint?: string | { name: string; kind: "PRIMARY KEY" | "UNIQUE" } }[];
  /** CHECK constraints over the column (absent in plans stored before they were copied). */
  checks?: { name: string; definition: string }[];
  /** A sequence owned by the column (serial), which must move with it. */
  ownedSequence: string | null;
}

/** A live table as expand found it. */
export interface TableFacts {
  schema: string;
  name: string;
  columns: ColumnFacts[];
  /** The columns of the primary key (or of a unique index over NOT NULL columns): how the backfill pages. */
  key: string[];
  /** Row level security is on: the version's views check it as the caller (security_invoker). */
  rowSecurity: boolean;
}

/** One column of a table as the new version sees it through its view. */
export interface ShapeColumn {
  /** The name in the new version. */
  name: string;
  /** The column of the live table it reads and writes. */
  source: string;
  /** A default for inserts through the view that differs from the table's own (a new column's). */
  default?: string;
}

/** One table as the new version sees it. */
export interface TableShape {
  table: TableRef;
  /** The view's name in the version schema. */
  name: string;
  columns: ShapeColumn[];
  /** Dropped in the new version: no view, a stand-in that refuses every use (see `standInsSql`). */
  dropped: boolean;
}

/** Statements of the sync trigger of one table, in PL/pgSQL over NEW. */
export interface SyncRules {
  /** Run for a write from a session on the old shape (the new version's schema is not on its search_path). */
  fromOld: string[];
  /** Run for a write through the new version's views. */
  fromNew: string[];
}

/** Rows the backfill rewrites: `SET` assignments over the live table, for rows matching `where`. */
export interface BackfillWork {
  set: string[];
  where?: string;
}

export interface ExpandStep {
  /** What a person reads in the progress: "add column _rookery_amount to orders". */
  label: string;
  sql: string;
  /** CREATE INDEX CONCURRENTLY and the like: run on its own, outside a transaction. */
  outsideTransaction?: boolean;
}

/** Everything expand, complete and abort need, derived once and stored. */
export interface ExpansionPlan {
  version: string;
  versionSchema: string;
  specs: OperationSpec[];
  facts: Record<string, TableFacts>;
  batchSize: number;
  /** Postgres 15+: the views check row level security as the caller. */
  securityInvoker: boolean;
}

export function tableKey(table: TableRef): string {
  return `${table.schema}.${table.name}`;
}

/** A quoted, schema-qualified table name for SQL. */
export function qualified(table: TableRef): string {
  return `${ident(table.schema)}.${ident(table.name)}`;
}

/** A quoted identifier (names come from the parsed file and the catalog, never from chat). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The new version's schema of views: what `rookery schema VERSION` prints for deploy scripts. */
export function versionSchemaName(version: string): string {
  return `rookery_${version}`;
}

/** The column expand adds beside one it changes: the new shape's values live there until complete. */
export function shadowColumn(column: string): string {
  return `_rookery_${column}`.slice(0, 63);
}
