import { statementsOnExistingTables } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banTruncate: Rule = {
  id: "ban-truncate",
  severity: "error",
  why: "TRUNCATE deletes every row at once under an ACCESS EXCLUSIVE lock, and no rollback script brings the rows back.",
  safeWay: "Delete in batches with a WHERE clause, after a backup; if the table is truly obsolete, deprecate and drop it.",
  check: ({ migration, newTables }) =>
    statementsOnExistingTables(migration.statements, newTables, "TruncateStmt")
      .map((statement) => ({ statement, message: "TRUNCATE deletes every row for good and blocks all readers and writers while it runs" })),
};
