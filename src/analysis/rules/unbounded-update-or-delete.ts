import { relationOf, tableKey, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const unboundedUpdateOrDelete: Rule = {
  id: "unbounded-update-or-delete",
  severity: "error",
  why: "UPDATE or DELETE without WHERE touches every row in one transaction: row locks on the whole table, a long transaction, table bloat.",
  safeWay: "Work in batches bounded by a WHERE on the key (e.g. id ranges of 10 000), one batch per transaction; write WHERE true only when every row truly must change.",
  check: ({ migration, newTables }) =>
    migration.statements
      .filter((statement) => (statement.kind === "UpdateStmt" || statement.kind === "DeleteStmt") && !statement.node.whereClause)
      .filter((statement) => !newTables.has(tableKey(relationOf(statement))))
      .map((statement) => ({
        statement,
        message: `${statement.kind === "UpdateStmt" ? "UPDATE" : "DELETE"} without WHERE locks every row of ${tableName(relationOf(statement))}: concurrent writes to any row wait until the migration commits`,
      })),
};
