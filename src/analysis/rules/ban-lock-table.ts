import { statementsOnExistingTables } from "../tree.ts";
import type { Rule } from "../types.ts";

export const banLockTable: Rule = {
  id: "ban-lock-table",
  severity: "error",
  why: "An explicit LOCK TABLE holds the lock until the migration commits, stopping the application for the whole migration, and bypasses Rookery's lock_timeout retries.",
  safeWay: "Leave locking to the statements themselves: Rookery sets lock_timeout and retries, so no lock is held longer than needed.",
  check: ({ migration, newTables }) =>
    statementsOnExistingTables(migration.statements, newTables, "LockStmt")
      .map((statement) => ({ statement, message: "LOCK TABLE keeps the application out of these tables until the whole migration commits" })),
};
