import { statementType } from "../classify.ts";
import type { Rule } from "../types.ts";

export const ddlWithoutRollbackFile: Rule = {
  id: "ddl-without-rollback-file",
  severity: "error",
  why: "The document requires a rollback plan for every schema change; without a rollback file an incident has no scripted way back.",
  safeWay: "Add rollback_NNN_name.sql beside the migration, undoing it with DROP ... IF EXISTS and friends.",
  check: ({ migration, rollbackMissing }) => {
    const firstChange = migration.statements.find((statement) => statementType(statement) !== "Data-only");
    if (!rollbackMissing || !firstChange) return [];
    return [{ statement: firstChange, message: "this schema change has no rollback file: if it goes wrong in production, there is no tested way back" }];
  },
};
