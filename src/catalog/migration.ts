import type { LayoutName } from "./layouts/index.ts";

/** One migration file on disk, with the rollback file beside it when there is one. */
export interface Migration {
  version: string;
  /** The file name without sequence number and extension: `create_connection_pool_tables`. */
  name: string;
  /** `-- description: ...` from the header, else the name in words. */
  description: string;
  /** Path relative to the migrations folder, with `/` separators. */
  path: string;
  sql: string;
  checksum: string;
  rollback?: RollbackFile;
  /** `-- rookery:tenant-scoped` in the header: run once per tenant. */
  tenantScoped: boolean;
  /** Its tool runs it outside a transaction (dbmate's `transaction:false`, goose's `NO TRANSACTION`): so does Rookery, statement by statement. */
  noTransaction: boolean;
  /** Empty or comments only: applied and recorded like any other, and changes nothing. */
  noOp: boolean;
  /** The layout the file was read in and the version as it names it (`000042`, `1.1`): what another tool's ledger holds. */
  origin: { layout: LayoutName; version: string };
  /** `-- rookery:check NAME: SQL` lines: what the watch after an apply runs (src/catalog/checks.ts). */
  checks: MigrationCheck[];
  /** `-- rookery:expand-contract` in the header: run in two phases, expand then complete (src/expand/). */
  expandContract: boolean;
}

export interface MigrationCheck {
  name: string;
  /** SQL returning one boolean (true: healthy), optionally a second column: the value to report. */
  sql: string;
  /** 1-based line in the migration file. */
  line: number;
}

export interface RollbackFile {
  path: string;
  sql: string;
  checksum: string;
  /** Empty or comments only: the migration has nothing to undo (unlike a migration with no rollback file). */
  nothingToUndo: boolean;
}

export interface Catalog {
  dir: string;
  /** The layout the folder was read in. */
  layout: LayoutName;
  /** In version order. */
  migrations: Migration[];
  byVersion: Map<string, Migration>;
}
