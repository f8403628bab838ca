import { typeNameOf, writtenColumns } from "../tree.ts";
import type { Rule } from "../types.ts";

export const preferTextOverVarchar: Rule = {
  id: "prefer-text-over-varchar",
  severity: "warning",
  why: "varchar(n) stores the same as text, but changing n later is an ALTER COLUMN TYPE under an ACCESS EXCLUSIVE lock (a rewrite when shrinking).",
  safeWay: "Use text, with a CHECK (char_length(col) <= n) constraint when a limit matters; a check can be swapped with NOT VALID without a rewrite.",
  check: ({ migration }) =>
    migration.statements.flatMap((statement) =>
      writtenColumns(statement)
        .filter((column) => typeNameOf(column.typeName) === "varchar" && (column.typeName?.typmods?.length ?? 0) > 0)
        .map((column) => ({
          statement,
          location: column.typeName?.location,
          message: `column ${column.colname} is varchar(n): raising or lowering its limit later takes a lock that stops reads and writes`,
        })),
    ),
};
