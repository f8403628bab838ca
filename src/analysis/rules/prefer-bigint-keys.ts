import { addedColumns, columnConstraints, createdColumns, tableConstraints, typeNameOf, type ColumnDef } from "../tree.ts";
import type { Statement } from "../parse.ts";
import type { Rule, RuleHit } from "../types.ts";

const SMALL_INTEGER_TYPES = new Set(["int2", "int4", "serial", "serial2", "serial4", "smallserial"]);
const KEY_CONSTRAINTS = new Set(["CONSTR_PRIMARY", "CONSTR_IDENTITY"]);

/** Key columns a statement defines: PRIMARY KEY or identity, on the column or in the table's PRIMARY KEY (...). */
function keyColumns(statement: Statement): ColumnDef[] {
  const tableKeys = new Set(
    tableConstraints(statement)
      .filter((constraint) => constraint.contype === "CONSTR_PRIMARY")
      .flatMap((constraint) => (constraint.keys ?? []).map((key) => key.String?.sval)),
  );
  return [...createdColumns(statement), ...addedColumns(statement)].filter(
    (column) =>
      tableKeys.has(column.colname) || columnConstraints(column).some((constraint) => KEY_CONSTRAINTS.has(constraint.contype)),
  );
}

export const preferBigintKeys: Rule = {
  id: "prefer-bigint-keys",
  severity: "warning",
  why: "A 32-bit key runs out at 2 147 483 647 rows; widening it later rewrites the table and every referencing one.",
  safeWay: "Use bigint (BIGINT GENERATED ALWAYS AS IDENTITY) for primary keys, as the document's own tables do.",
  check: ({ migration }) =>
    migration.statements.flatMap((statement): RuleHit[] =>
      keyColumns(statement)
        .filter((column) => SMALL_INTEGER_TYPES.has(typeNameOf(column.typeName)))
        .map((column) => ({
          statement,
          location: column.typeName?.location,
          message: `key ${column.colname} is ${typeNameOf(column.typeName)}: inserts fail once it passes about 2.1 billion, and widening it then locks the table for a rewrite`,
        })),
    ),
};
