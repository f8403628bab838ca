import type { Environment } from "../config/index.ts";
import { withLedgerClient } from "../session/session.ts";

export interface LiveTableSize {
  /** The planner's estimate (`reltuples`); 0 when never analysed or empty. */
  rows: number;
  /** The table's own pages: 0 for a table that never held a row. */
  heapBytes: number;
  /** With its indexes and TOAST. */
  totalBytes: number;
}

/** Every user table of the target with its estimated rows and size, by `schema.table`, from the catalog statistics (no scans). */
export async function liveTables(environment: Environment): Promise<Map<string, LiveTableSize>> {
  const { rows } = await withLedgerClient(environment, (client) =>
    client.query<{ name: string; rows: string; heap: string; total: string }>(
      `SELECT n.nspname || '.' || c.relname AS name, greatest(c.reltuples, 0)::bigint::text AS rows,
              pg_relation_size(c.oid)::text AS heap, pg_total_relation_size(c.oid)::text AS total
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    ),
  );
  return new Map(rows.map((row) => [row.name, { rows: Number(row.rows), heapBytes: Number(row.heap), totalBytes: Number(row.total) }]));
}

/** The target's Postgres major version, from `server_version_num` (150004 -> 15). */
export async function serverMajorVersion(environment: Environment): Promise<number> {
  const { rows } = await withLedgerClient(environment, (client) => client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version"));
  return Math.floor(Number(rows[0]!.version) / 10_000);
}
