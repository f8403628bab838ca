import { relationOf, tableName } from "../tree.ts";
import type { Rule } from "../types.ts";

export const requireConcurrentReindex: Rule = {
  id: "require-concurrent-reindex",
  severity: "error",
  why: "REINDEX without CONCURRENTLY locks the table against writes (and the index against reads) for the whole rebuild.",
  safeWay: "REINDEX INDEX CONCURRENTLY name; (Postgres 12 and later) in a file of its own.",
  check: ({ migration }) =>
    migration.statements
      .filter((statement) => statement.kind === "ReindexStmt")
      .filter((statement) => {
        const params = (statement.node.params as { DefElem?: { defname?: string } }[] | undefined) ?? [];
        return !params.some((param) => param.DefElem?.defname === "concurrently");
      })
      .map((statement) => ({
        statement,
        message: `REINDEX ${relationOf(statement) ? tableName(relationOf(statement)) : String(statement.node.name ?? "")} blocks writes to the table, and queries using the index, until the rebuild ends`,
      })),
};
