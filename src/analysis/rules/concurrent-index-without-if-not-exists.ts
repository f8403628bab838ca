import type { Rule } from "../types.ts";

export const concurrentIndexWithoutIfNotExists: Rule = {
  id: "concurrent-index-without-if-not-exists",
  severity: "warning",
  why: "A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind; retrying the same statement then fails with \"already exists\".",
  safeWay:
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS name ...; after a failure, DROP INDEX CONCURRENTLY IF EXISTS name before retrying (the health check reports INVALID indexes).",
  check: ({ migration }) =>
    migration.statements
      .filter((statement) => statement.kind === "IndexStmt" && statement.node.concurrent === true && statement.node.if_not_exists !== true)
      .map((statement) => ({
        statement,
        message: "if this build fails it leaves an INVALID index, and retrying the migration then stops on \"already exists\"",
      })),
};
