import { isNonTransactional, type Statement } from "../parse.ts";
import type { Rule } from "../types.ts";

/** SET ... = / TO DEFAULT / FROM CURRENT without LOCAL; SET TRANSACTION and RESET are not session settings. */
function isSessionSet(statement: Statement): boolean {
  const { kind, node } = statement;
  if (kind !== "VariableSetStmt" || node.is_local === true) return false;
  return node.kind === "VAR_SET_VALUE" || node.kind === "VAR_SET_DEFAULT" || node.kind === "VAR_SET_CURRENT";
}

function settingName(statement: Statement): string {
  return String(statement.node.name ?? "").replace("session_authorization", "session authorization");
}

export const preferSetLocal: Rule = {
  id: "prefer-set-local",
  severity: "warning",
  why: "A plain SET lasts past the migration's transaction: a search_path, role or session_replication_role set for one file would change where, as whom and with which checks what follows runs (Rookery resets the session between migrations, psql and other tools do not).",
  safeWay: "SET LOCAL name = value: it ends with the migration's transaction. Prefer schema-qualified names (billing.invoices) to a changed search_path.",
  // A file run outside a transaction has no transaction for SET LOCAL to last in: plain SET is its only way.
  check: ({ migration, rollback }) => [
    ...(migration.statements.some(isNonTransactional) ? [] : migration.statements.filter(isSessionSet).map((statement) => ({
      statement,
      message: `SET ${settingName(statement)} stays in force after this migration commits: whatever runs next in the session inherits it`,
    }))),
    ...(!rollback || rollback.statements.some(isNonTransactional) ? [] : rollback.statements.filter(isSessionSet).map((statement) => ({
      statement,
      inRollback: true,
      message: `SET ${settingName(statement)} stays in force after this rollback commits: whatever runs next in the session inherits it`,
    }))),
  ],
};
