import { alterTableCommands } from "../tree.ts";
import type { Rule } from "../types.ts";

const DROP_COMMANDS = new Set(["AT_DropColumn", "AT_DropConstraint"]);

export const rollbackDropWithoutIfExists: Rule = {
  id: "rollback-drop-without-if-exists",
  severity: "warning",
  why: "A rollback runs when something already went wrong, often after a partial apply: a DROP of an object that is not there fails the rollback itself.",
  safeWay: "Write DROP ... IF EXISTS (and ALTER TABLE ... DROP COLUMN/CONSTRAINT IF EXISTS) in rollback files.",
  check: ({ rollback }) =>
    (rollback?.statements ?? [])
      .filter(
        (statement) =>
          (statement.kind === "DropStmt" && statement.node.missing_ok !== true) ||
          alterTableCommands(statement).some((cmd) => DROP_COMMANDS.has(cmd.subtype) && cmd.missing_ok !== true),
      )
      .map((statement) => ({
        statement,
        inRollback: true,
        message: "this DROP fails when the object is already gone (a half-applied migration), and the rollback stops there",
      })),
};
