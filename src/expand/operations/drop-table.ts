import { NO_SYNC, type Operation } from "../operation.ts";
import { qualified, type DropTableSpec } from "../plan.ts";

/** Deprecation first. Expand: the new version's schema has no view of the table. Complete: it is dropped. */
export const dropTable: Operation<DropTableSpec> = {
  validate: () => [],
  reshape(_spec, shape) {
    shape.dropped = true;
  },
  expand: () => [],
  sync: () => NO_SYNC,
  backfill: () => undefined,
  settle: () => [],
  complete: (spec) => [`DROP TABLE ${qualified(spec.table)}`],
  abort: () => [],
};
