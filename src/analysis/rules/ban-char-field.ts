import { typeNameOf, writtenColumns } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banCharField: Rule = {
  id: "ban-char-field",
  severity: "warning",
  why: "char(n) pads with spaces, which comparisons and clients handle inconsistently, and is no faster than text or varchar.",
  safeWay: "Use text (with a CHECK on length() if the length matters) or varchar(n).",
  check: ({ migration }) =>
    migration.statements.flatMap((statement) =>
      writtenColumns(statement)
        .filter((column) => typeNameOf(column.typeName) === "bpchar")
        .map((column) => ({
          statement,
          location: column.typeName?.location,
          message: `column ${column.colname} is char(n): values come back padded with spaces, and changing it to varchar later rewrites the table`,
        })),
    ),
};
