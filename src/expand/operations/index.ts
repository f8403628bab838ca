import type { Operation } from "../operation.ts";
import type { OperationName, OperationSpec } from "../plan.ts";
import { addColumn } from "./add-column.ts";
import { addConstraint } from "./add-constraint.ts";
import { alterColumnType } from "./alter-column-type.ts";
import { dropColumn } from "./drop-column.ts";
import { dropTable } from "./drop-table.ts";
import { renameColumn } from "./rename-column.ts";
import { renameTable } from "./rename-table.ts";
import { setNotNull } from "./set-not-null.ts";

/** The registry: one entry per operation file. */
const OPERATIONS: { [N in OperationName]: Operation<Extract<OperationSpec, { op: N }>> } = {
  "rename-column": renameColumn,
  "alter-column-type": alterColumnType,
  "set-not-null": setNotNull,
  "add-column": addColumn,
  "add-constraint": addConstraint,
  "drop-column": dropColumn,
  "rename-table": renameTable,
  "drop-table": dropTable,
};

export function operationOf<S extends OperationSpec>(spec: S): Operation<S> {
  return OPERATIONS[spec.op] as unknown as Operation<S>;
}
