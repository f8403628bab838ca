import { typeNameOf, writtenColumns } from "../tree.ts";
import type { Rule } from "../types.ts";

export const preferTimestamptz: Rule = {
  id: "prefer-timestamptz",
  severity: "warning",
  why: "timestamp without time zone stores wall-clock time with no zone: servers or sessions in another zone read and compare it wrongly.",
  safeWay: "Use timestamptz (TIMESTAMP WITH TIME ZONE), as the document's ledger tables do.",
  check: ({ migration }) =>
    migration.statements.flatMap((statement) =>
      writtenColumns(statement)
        .filter((column) => typeNameOf(column.typeName) === "timestamp")
        .map((column) => ({
          statement,
          location: column.typeName?.location,
          message: `column ${column.colname} is timestamp without time zone: clients in other time zones read shifted times`,
        })),
    ),
};
