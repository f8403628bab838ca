import { lineAndColumn } from "../analysis/parse.ts";
import { withServerBudget } from "../db/index.ts";
import { appliedRecordFor, MigrationStatementError, type ExecutionResult, type MigrationRun } from "./execution.ts";
import { withLockRetries } from "./retry.ts";
import { statementsBudgetMs, transactionTimeoutsSql } from "./timeouts.ts";

/**
 * One migration, one transaction: the timeouts, the file, the ledger row, schema_version and the
 * event go to the server as one round trip, so a migration costs what its own SQL costs. On error
 * the whole transaction is rolled back: nothing of the file stays.
 */
export async function executeInTransaction(run: MigrationRun): Promise<ExecutionResult> {
  const { client, context, migration } = run;
  const prefix = `BEGIN; ${transactionTimeoutsSql(context.environment)}\n`;
  let lockRetries = 0;
  await withLockRetries(context.environment, { version: migration.version, onProgress: context.onProgress }, async (retry) => {
    lockRetries = retry;
    const record = appliedRecordFor(run, { lockRetries: retry, outsideTransaction: false });
    try {
      await withServerBudget(client, statementsBudgetMs(context.environment, run.statements.length + 1), () =>
        client.query(`${prefix}${migration.sql}\n;${record}\nCOMMIT;`),
      );
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw annotate(error, prefix.length, migration.sql);
    }
  });
  return { outsideTransaction: false, lockRetries };
}

/** Postgres reports the error position in the whole query text; turn it into a line of the file. */
function annotate(error: unknown, prefixLength: number, sql: string): unknown {
  const { code, position } = error as { code?: string; position?: string };
  if (code === "55P03") return error;
  const offset = position ? Number(position) - 1 - prefixLength : -1;
  const line = offset >= 0 && offset < sql.length ? lineAndColumn(sql, offset).line : undefined;
  return new MigrationStatementError(error, { sqlstate: code, line });
}
