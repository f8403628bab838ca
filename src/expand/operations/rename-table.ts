import { NO_SYNC, type Operation } from "../operation.ts";
import { ident, qualified, type RenameTableSpec } from "../plan.ts";

/** Expand: the new version's view has the new name. Complete: the table takes it. */
export const renameTable: Operation<RenameTableSpec> = {
  validate: () => [],
  reshape(spec, shape) {
    shape.name = spec.to;
  },
  expand: () => [],
  sync: () => NO_SYNC,
  backfill: () => undefined,
  settle: () => [],
  complete: (spec) => [`ALTER TABLE ${qualified(spec.table)} RENAME TO ${ident(spec.to)}`],
  abort: () => [],
};
