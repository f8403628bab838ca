import { createHash } from "node:crypto";

/** A signed 64-bit advisory lock key derived from a name, stable across processes and releases. */
export function advisoryKey(name: string): bigint {
  return createHash("sha256").update(name).digest().readBigInt64BE(0);
}

/**
 * The database's migration lock: one key for every runner (CLI, worker) and for the SQL functions a
 * DBA calls, so none of them applies or rolls back while another does.
 */
export const MIGRATION_LOCK_KEY = advisoryKey("rookery");

/** Serialises creating the ledger itself. */
export const LEDGER_DDL_KEY = advisoryKey("rookery:ledger-ddl");
