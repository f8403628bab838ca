import { scanSync } from "libpg-query";
import { isTransactionControl, type Statement } from "../parse.ts";
import type { Rule } from "../types.ts";

/** COMMIT or ROLLBACK inside a DO block's body: allowed by PL/pgSQL only when the block is not in a transaction. */
function endsTransactionInside(statement: Statement): boolean {
  if (statement.kind !== "DoStmt") return false;
  const body = ((statement.node.args as { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[] | undefined) ?? [])
    .find((arg) => arg.DefElem?.defname === "as")?.DefElem?.arg?.String?.sval;
  if (!body) return false;
  try {
    return scanSync(body).tokens.some((token) => /^(commit|rollback)$/i.test(token.text));
  } catch {
    return false;
  }
}

export const transactionControlInFile: Rule = {
  id: "transaction-control-in-file",
  severity: "error",
  why: "Rookery runs each migration in one transaction with its ledger row; a BEGIN/COMMIT in the file ends that transaction early, so a later failure leaves a half-applied, unrecorded change.",
  safeWay: "Remove BEGIN/COMMIT/ROLLBACK: the runner wraps the file. Put statements that must run outside a transaction in a file of their own.",
  check: ({ migration }) => [
    ...migration.statements.filter(isTransactionControl).map((statement) => ({
      statement,
      message: `${statement.sql.split(/\s/)[0]?.toUpperCase() ?? "transaction control"} inside a migration splits Rookery's transaction: a failure after it leaves part of the change applied and not recorded`,
    })),
    ...migration.statements.filter(endsTransactionInside).map((statement) => ({
      statement,
      message: "COMMIT or ROLLBACK inside this DO block fails at apply (\"invalid transaction termination\"): the block runs inside Rookery's transaction",
    })),
  ],
};
