import { commandsOnExistingTables, relationOf, tableKey, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const backfillInSameTransaction: Rule = {
  id: "backfill-in-same-transaction",
  severity: "warning",
  why: "ADD COLUMN takes an ACCESS EXCLUSIVE lock held until the migration commits; an UPDATE of the same table in the same file (a backfill) keeps every reader and writer out for as long as it runs.",
  safeWay: "Add the column in one migration; backfill in the next, in batches bounded by a WHERE on the key, so no lock blocks the application for long.",
  check: ({ migration, newTables }) => {
    const widened = new Set(commandsOnExistingTables(migration.statements, newTables, ["AT_AddColumn"]).map(({ relation }) => tableKey(relation)));
    return migration.statements
      .filter((statement) => statement.kind === "UpdateStmt" && widened.has(tableKey(relationOf(statement))))
      .map((statement) => ({
        statement,
        message: `this UPDATE runs while the file's ADD COLUMN still holds ${tableName(relationOf(statement))} under an ACCESS EXCLUSIVE lock: nobody reads or writes it until the update ends`,
      }));
  },
};
