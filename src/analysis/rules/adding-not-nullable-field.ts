import { asColumnDef, columnConstraints, commandsOnExistingTables, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

/** Constraints that give every existing row a value, so NOT NULL holds at once. */
const FILLS_EXISTING_ROWS = new Set(["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"]);

export const addingNotNullableField: Rule = {
  id: "adding-not-nullable-field",
  severity: "error",
  why: "A NOT NULL column without a default fails on a table with rows, and breaks inserts from code that does not know the column yet.",
  safeWay:
    "Add the column with a constant DEFAULT (Postgres 11+ fills it without a rewrite), or add it nullable, backfill in batches, then add a NOT VALID check, validate it and SET NOT NULL. Or let Rookery run it in two phases: `-- rookery:expand-contract` in the header (docs/expand-contract.md).",
  check: ({ migration, newTables }) =>
    commandsOnExistingTables(migration.statements, newTables, ["AT_AddColumn"])
      .flatMap(({ statement, relation, cmd }) => {
        const column = asColumnDef(cmd.def);
        if (!column) return [];
        const constraints = columnConstraints(column).map((constraint) => constraint.contype);
        const notNull = constraints.includes("CONSTR_NOTNULL") || constraints.includes("CONSTR_PRIMARY");
        if (!notNull || constraints.some((type) => FILLS_EXISTING_ROWS.has(type))) return [];
        return [
          {
            statement,
            location: column.location,
            message: `column ${column.colname} is NOT NULL without a default: the ALTER fails if ${tableName(relation)} has rows, and the running application's INSERTs that omit it fail after`,
          },
        ];
      }),
};
