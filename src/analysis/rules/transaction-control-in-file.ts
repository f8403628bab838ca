import { isTransactionControl } from "../parse.ts";
import type { Rule } from "../types.ts";

export const transactionControlInFile: Rule = {
  id: "transaction-control-in-file",
  severity: "error",
  why: "Rookery runs each migration in one transaction with its ledger row; a BEGIN/COMMIT in the file ends that transaction early, so a later failure leaves a half-applied, unrecorded change.",
  safeWay: "Remove BEGIN/COMMIT/ROLLBACK: the runner wraps the file. Put statements that must run outside a transaction in a file of their own.",
  check: ({ migration }) =>
    migration.statements.filter(isTransactionControl).map((statement) => ({
      statement,
      message: `${statement.sql.split(/\s/)[0]?.toUpperCase() ?? "transaction control"} inside a migration splits Rookery's transaction: a failure after it leaves part of the change applied and not recorded`,
    })),
};
