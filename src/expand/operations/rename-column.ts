import { columnOf, NO_SYNC, type Operation } from "../operation.ts";
import { ident, qualified, type RenameColumnSpec } from "../plan.ts";

/** Expand: the new version's view shows the column under its new name. Complete: the table's column takes it. */
export const renameColumn: Operation<RenameColumnSpec> = {
  validate(spec, facts) {
    if (!columnOf(facts, spec.column)) return [`column ${spec.column} does not exist in ${facts.name}`];
    if (columnOf(facts, spec.to)) return [`${facts.name} already has a column ${spec.to}`];
    return [];
  },
  reshape(spec, shape) {
    const column = shape.columns.find((candidate) => candidate.name === spec.column);
    if (column) column.name = spec.to;
  },
  expand: () => [],
  sync: () => NO_SYNC,
  backfill: () => undefined,
  settle: () => [],
  complete: (spec) => [`ALTER TABLE ${qualified(spec.table)} RENAME COLUMN ${ident(spec.column)} TO ${ident(spec.to)}`],
  abort: () => [],
};
