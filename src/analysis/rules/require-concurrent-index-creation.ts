import { relationOf, tableKey, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const requireConcurrentIndexCreation: Rule = {
  id: "require-concurrent-index-creation",
  severity: "error",
  why: "CREATE INDEX without CONCURRENTLY blocks every write to the table until the whole index is built.",
  safeWay:
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON table (...); in a file of its own (it cannot run in a transaction).",
  check: ({ migration, newTables }) =>
    migration.statements
      .filter((statement) => statement.kind === "IndexStmt" && statement.node.concurrent !== true)
      .filter((statement) => !newTables.has(tableKey(relationOf(statement))))
      .map((statement) => ({
        statement,
        table: tableKey(relationOf(statement)),
        message: `building this index locks ${tableName(relationOf(statement))} against INSERT, UPDATE and DELETE until it is done: writers queue up for the whole build`,
      })),
};
