import { tableName, relationOf } from "../tree.ts";
import type { Rule } from "../types.ts";

export const copyFromStdin: Rule = {
  id: "copy-from-stdin",
  severity: "error",
  why: "COPY ... FROM STDIN reads rows the client sends after the statement; a migration is SQL sent to the server, with no data after it, so the migration fails at apply.",
  safeWay: "Write the rows as INSERT ... VALUES (in batches for many rows), or load them with psql \\copy outside the migration.",
  check: ({ migration }) =>
    migration.statements
      .filter((statement) => statement.kind === "CopyStmt" && statement.node.is_from === true && !statement.node.filename && statement.node.is_program !== true)
      .map((statement) => ({
        statement,
        message: `COPY ${tableName(relationOf(statement))} FROM STDIN has no rows to read when Rookery runs the file: it fails at apply`,
      })),
};
