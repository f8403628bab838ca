import { isTransactionControl, scanSync, type Statement } from "../parse.ts";
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

/** Savepoints nest inside a transaction; they do not end it, but the runner refuses them all the same. */
const SAVEPOINT_KINDS: Record<string, string> = {
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
};

function controlMessage(statement: Statement): string {
  const savepoint = SAVEPOINT_KINDS[String(statement.node.kind)];
  const keyword = savepoint ?? statement.sql.trim().split(/\s/)[0]?.toUpperCase() ?? "transaction control";
  const elsewhere = savepoint
    ? "write the file without it: a failure anywhere already rolls the whole migration back"
    : "run by psql or another tool it would end the migration's transaction early, leaving part of the change applied when a later statement fails";
  return `${keyword} in a migration: Rookery refuses to apply this file (it gives each migration its own transaction, and nothing of the file runs); ${elsewhere}`;
}

export const transactionControlInFile: Rule = {
  id: "transaction-control-in-file",
  severity: "error",
  why: "Rookery runs each migration in one transaction with its ledger row and refuses, before running anything, a file with its own BEGIN/COMMIT/ROLLBACK/SAVEPOINT; run by another tool, a COMMIT in the file would end that transaction early, so a later failure leaves a half-applied, unrecorded change.",
  safeWay: "Remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT: the runner wraps the file. Put statements that must run outside a transaction in a file of their own.",
  check: ({ migration }) => [
    ...migration.statements.filter(isTransactionControl).map((statement) => ({ statement, message: controlMessage(statement) })),
    ...migration.statements.filter(endsTransactionInside).map((statement) => ({
      statement,
      message: "COMMIT or ROLLBACK inside this DO block fails at apply (\"invalid transaction termination\"): the block runs inside Rookery's transaction",
    })),
  ],
};
