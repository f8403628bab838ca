import pg from "pg";
import type { Catalog, LayoutName, Migration } from "../../catalog/index.ts";
import type { ForeignTool } from "../../ledger/index.ts";

/** A version another tool recorded as applied, matched to its file in the folder. */
export interface ImportedVersion {
  migration: Migration;
  appliedAt: Date | null;
  appliedBy: string | null;
}

export interface ForeignHistory {
  applied: ImportedVersion[];
  /** What the tool recorded that no file of the folder is: the folder is not the one it ran. */
  unmatched: string[];
  /** Why the tool's ledger cannot be imported as it stands (a golang-migrate run left dirty). */
  refusal?: string;
}

/**
 * One tool `rookery import --from` reads: its ledger table, read only, matched to the folder's files
 * in that tool's layout (the version as the file names it, `migration.origin.version`).
 */
export interface ImportSource {
  /** As `rookery import --from` takes it. */
  name: string;
  tool: ForeignTool;
  layout: LayoutName;
  read(client: pg.ClientBase, table: string, catalog: Catalog): Promise<ForeignHistory>;
}

/** `schema.table` as found, quoted for SQL. */
export function quotedTable(table: string): string {
  const [schema, name] = table.split(".");
  return `${pg.escapeIdentifier(schema!)}.${pg.escapeIdentifier(name!)}`;
}

/** The folder's migrations by the version their files name, compared as the tool compares them. */
export function byOriginVersion(catalog: Catalog, key: (version: string) => string = (version) => version): Map<string, Migration> {
  return new Map(catalog.migrations.map((migration) => [key(migration.origin.version), migration]));
}

/** Leading zeros do not count: golang-migrate and goose store numbers. */
export const numeric = (version: string) => BigInt(version).toString();
