import type pg from "pg";
import { rollbackCopiedRecordSql } from "../ledger/index.ts";
import { LEDGER_WRITER_SQL } from "../session/execution.ts";
import { migrationQueryLabel, resetSqlInQuery } from "../session/session.ts";
import { statementsBudgetMs, transactionTimeoutsSql } from "../session/timeouts.ts";
import { BATCH_MAX_MIGRATIONS, progressMarkSql, runBatchQuery, type BatchOutcome } from "./execute-batch.ts";
import { PIECE_CHARS } from "./execute-in-transaction.ts";
import type { RollbackCandidate } from "./rollback-safety.ts";
import type { RunContext } from "./types.ts";

/** A version of a run of rollbacks that may go in a batch: its stored script runs in one transaction, restores no archive. */
export interface BatchedRollback {
  version: string;
  candidate: RollbackCandidate;
  /** How many statements its script holds at most (StoredScript). */
  statementCount: number;
  /** The newest version still applied once it is rolled back (null: none). */
  currentAfter: string | null;
}

/** Whether the next rollbacks may go in one query, and how many: at most BATCH_MAX_MIGRATIONS and about PIECE_CHARS of scripts. */
export function rollbackBatchSize(client: pg.ClientBase, ctx: RunContext, items: readonly BatchedRollback[]): number {
  if (resetSqlInQuery(client, ctx.actor, ctx.environment) === undefined) return 0;
  let count = 0;
  let chars = 0;
  for (const item of items) {
    chars += item.candidate.rollbackScript.length;
    if (count >= BATCH_MAX_MIGRATIONS || (count > 0 && chars > PIECE_CHARS)) break;
    count++;
  }
  return count >= 2 ? count : 0;
}

/**
 * Several versions of a run of rollbacks (`rollbackMigrations`, after the first, whose bound reason
 * they copy), each exactly as `rollbackInSession` sends it (the session reset, BEGIN, the timeouts,
 * the stored script, the ledger writes, COMMIT: its own transaction), one after another in one query,
 * as src/runner/execute-batch.ts does for applies: Postgres stops at the first error, so the versions
 * before it stay rolled back and the later ones never start. `onCommitted(index)` is called as each
 * commits.
 */
export async function rollbackBatch(
  ctx: RunContext,
  client: pg.Client,
  items: readonly BatchedRollback[],
  copy: { reasonEventId: number; lockPid: number },
  onCommitted: (index: number) => void,
): Promise<BatchOutcome> {
  const { environment } = ctx;
  const reset = resetSqlInQuery(client, ctx.actor, environment);
  if (reset === undefined) throw new Error("rollbackBatch needs a session whose reset can open the query (rollbackBatchSize)");
  const timeouts = transactionTimeoutsSql(environment);
  let text = "";
  // Each rollback's own budget, the largest of the batch: the deadline starts again at every COMMIT (runBatchQuery).
  let statements = 0;
  for (const [index, item] of items.entries()) {
    const mark = index === 0 ? "" : progressMarkSql(`rolling back ${item.version}`, environment.ledgerSchema);
    const record = rollbackCopiedRecordSql(
      { version: item.version, detail: { lockRetries: 0, outsideTransaction: false, safety: item.candidate.safety }, currentAfter: item.currentAfter, lockPid: copy.lockPid },
      copy.reasonEventId,
      environment.ledgerSchema,
    );
    text += `${migrationQueryLabel("rollback", item.version)}\n${reset}\n${mark}BEGIN; ${timeouts}\n${item.candidate.rollbackScript}\n;${LEDGER_WRITER_SQL}${record}\nCOMMIT;\n`;
    statements = Math.max(statements, item.statementCount + 2);
  }
  return runBatchQuery(client, text, statementsBudgetMs(environment, statements), onCommitted);
}
