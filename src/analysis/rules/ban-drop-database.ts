import type { Rule } from "../types.ts";

export const banDropDatabase: Rule = {
  id: "ban-drop-database",
  severity: "error",
  why: "DROP DATABASE destroys a whole database; no rollback script brings it back, and a migration has no business doing it.",
  safeWay: "Drop databases by hand, after a backup, never from a migration.",
  check: ({ migration }) =>
    migration.statements
      .filter((statement) => statement.kind === "DropdbStmt")
      .map((statement) => ({ statement, message: `DROP DATABASE ${String(statement.node.dbname ?? "")} deletes every table and row in it for good` })),
};
