import type { BackfillWork, ExpandStep, OperationSpec, SyncRules, TableFacts, TableShape } from "./plan.ts";

/**
 * One two-phase operation, in a file of its own under operations/, answering the same questions as
 * its siblings (pgroll's start / complete / rollback, plus what the version's views show):
 *
 * - validate: refusals against the live table, each a sentence naming what is wrong and what to do;
 * - reshape:  how the new version sees the table through its view;
 * - expand:   additive DDL on the live table, run before the backfill in one short transaction;
 * - sync:     PL/pgSQL over NEW keeping the old and new shapes in step while both are live;
 * - backfill: rows to rewrite in batches;
 * - settle:   what runs once the backfill is done (validating what was added NOT VALID);
 * - complete: the contract, in complete's transaction: the old shape goes;
 * - abort:    removes what expand added; every statement tolerates an expand that stopped anywhere.
 *
 * A phase with nothing to do returns an empty list.
 */
export interface Operation<S extends OperationSpec> {
  validate(spec: S, facts: TableFacts): string[];
  reshape(spec: S, shape: TableShape, facts: TableFacts): void;
  expand(spec: S, facts: TableFacts): ExpandStep[];
  sync(spec: S, facts: TableFacts, shape: TableShape): SyncRules;
  backfill(spec: S, facts: TableFacts): BackfillWork | undefined;
  settle(spec: S, facts: TableFacts): ExpandStep[];
  complete(spec: S, facts: TableFacts): string[];
  abort(spec: S, facts: TableFacts): string[];
}

export const NO_SYNC: SyncRules = { fromOld: [], fromNew: [] };

/** An expression over the table's own columns, evaluated on the row being written (NEW). */
export function overOldRow(expression: string): string {
  return `(SELECT (${expression}) FROM (SELECT NEW.*) AS rookery_row)`;
}

/** An expression over the new version's column names, evaluated on the row being written. */
export function overNewRow(expression: string, shape: TableShape): string {
  const columns = shape.columns.map((column) => `NEW.${quote(column.source)} AS ${quote(column.name)}`).join(", ");
  return `(SELECT (${expression}) FROM (SELECT ${columns}) AS rookery_row)`;
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function columnOf(facts: TableFacts, name: string) {
  return facts.columns.find((column) => column.name === name);
}

/** The check constraint standing in for NOT NULL until complete (validated without blocking writes). */
export function notNullCheckName(column: string): string {
  return `_rookery_${column}_not_null`.slice(0, 63);
}
