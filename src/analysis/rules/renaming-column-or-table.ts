import { relationOf, tableKey, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const renamingColumnOrTable: Rule = {
  id: "renaming-column-or-table",
  severity: "error",
  why: "Application instances already running still use the old name; their queries fail from the moment the rename commits.",
  safeWay:
    "Expand and contract: add the new column (or a view with the new table name), write both, move the readers, and drop the old name in a later migration. Or let Rookery run it in two phases: `-- rookery:expand-contract` in the header (docs/expand-contract.md).",
  check: ({ migration, newTables }) =>
    migration.statements
      .filter((statement) => statement.kind === "RenameStmt")
      .filter((statement) => ["OBJECT_COLUMN", "OBJECT_TABLE"].includes(String(statement.node.renameType)))
      .filter((statement) => !newTables.has(tableKey(relationOf(statement))))
      .map((statement) => {
        const table = tableName(relationOf(statement));
        const what = statement.node.renameType === "OBJECT_COLUMN" ? `column ${table}.${String(statement.node.subname)}` : `table ${table}`;
        return {
          statement,
          message: `renaming ${what} to ${String(statement.node.newname)} breaks every running client that still uses the old name`,
        };
      }),
};
