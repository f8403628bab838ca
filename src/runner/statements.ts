import { isTransactionControl, parseStatements, type NodeFilter, type Statement } from "../analysis/parse.ts";
import type { LedgerEntry } from "../ledger/index.ts";
import { TransactionControlError } from "./errors.ts";

/**
 * Parses SQL the engine is about to run (a migration file, a stored rollback script) with the
 * Postgres parser. A syntax error, or the file's own BEGIN/COMMIT (Rookery gives each migration its
 * transaction), stops the run before anything is applied. Call `loadParser()` once before.
 */
export function runnableStatements(sql: string, label: string, keepNode?: NodeFilter): Statement[] {
  const statements = parseStatements(sql, label, keepNode);
  const control = statements.find(isTransactionControl);
  if (control) throw new TransactionControlError(label, control.line);
  return statements;
}

/** Never applied, failed, or rolled back: `apply --all` applies it. */
export function isPending(entry: LedgerEntry | undefined): boolean {
  return entry?.status !== "applied";
}
