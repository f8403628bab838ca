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
}

export interface RollbackFile {
  path: string;
  sql: string;
  checksum: string;
}

export interface Catalog {
  dir: string;
  /** In version order. */
  migrations: Migration[];
  byVersion: Map<string, Migration>;
}
