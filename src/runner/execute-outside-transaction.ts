import type pg from "pg";
import { isNonTransactional, type Statement } from "../analysis/parse.ts";
import type { Environment } from "../config/index.ts";
import { withServerBudget } from "../db/index.ts";
import { MigrationStatementError, recordAppliedOnItsOwn, type ExecutionResult, type MigrationRun } from "../session/execution.ts";
import { dropInvalidIndexes, findInvalidIndexes, indexesNamedBy } from "./invalid-indexes.ts";
import { withLockRetries } from "../session/retry.ts";
import { RESET_TIMEOUTS_SQL, statementsBudgetMs, statementTimeoutsSql } from "../session/timeouts.ts";
import type { ProgressListener } from "./types.ts";

export function needsOutsideTransaction(statements: Statement[]): boolean {
  return statements.some(isNonTransactional);
}

export interface StatementsLabel {
  version: string;
  onProgress?: ProgressListener;
}

/**
 * Runs a file statement by statement, each committing on its own, because it holds a statement
 * Postgres refuses inside a transaction (CREATE INDEX CONCURRENTLY, VACUUM, ...). Statements that
 * completed stay when a later one fails, so such files should be written to run again
 * (IF NOT EXISTS); an INVALID index they name is dropped before every attempt.
 * Returns the number of lock retries.
 */
export async function runStatementsOutsideTransaction(
  client: pg.ClientBase,
  environment: Environment,
  statements: Statement[],
  label: StatementsLabel,
): Promise<number> {
  let lockRetries = 0;
  let completed = 0;
  try {
    await dropInvalidIndexes(client, environment, statements, label);
    for (const [index, statement] of statements.entries()) {
      const concurrent = isNonTransactional(statement);
      await label.onProgress?.({
        step: "apply",
        version: label.version,
        message: `${label.version}: outside a transaction, statement ${index + 1}/${statements.length} (line ${statement.line}): ${statement.sql.split("\n")[0]?.slice(0, 80)}`,
        detail: { statement: index + 1, line: statement.line, outsideTransaction: true },
      });
      await withLockRetries(environment, label, async (retry) => {
        if (retry > 0) await dropInvalidIndexes(client, environment, [statement], label);
        lockRetries += retry > 0 ? 1 : 0;
        try {
          await client.query(statementTimeoutsSql(environment, concurrent));
          await withServerBudget(client, statementsBudgetMs(environment, 1, concurrent), () => client.query(statement.sql));
        } catch (error) {
          if ((error as { code?: string }).code === "55P03") throw error;
          throw new MigrationStatementError(error, {
            sqlstate: (error as { code?: string }).code,
            line: statement.line,
            statementsCompleted: completed,
            invalidIndexes: await findInvalidIndexes(client, indexesNamedBy([statement])).catch(() => []),
          });
        }
      });
      completed++;
    }
  } finally {
    await client.query(RESET_TIMEOUTS_SQL).catch(() => {});
  }
  return lockRetries;
}

/** A migration run outside a transaction; its ledger row is written once every statement succeeded. */
export async function executeOutsideTransaction(run: MigrationRun): Promise<ExecutionResult> {
  const { client, context, migration, statements } = run;
  await context.onProgress?.({
    step: "apply",
    version: migration.version,
    message: `${migration.version}: ${migration.noTransaction ? `marked to run outside a transaction (${migration.origin.layout})` : "holds statements that cannot run in a transaction"}; running them one by one outside a transaction`,
    detail: { outsideTransaction: true },
  });
  const lockRetries = await runStatementsOutsideTransaction(client, context.environment, statements, {
    version: migration.version,
    onProgress: context.onProgress,
  });
  await recordAppliedOnItsOwn(run, { lockRetries, outsideTransaction: true });
  return { outsideTransaction: true, lockRetries };
}
