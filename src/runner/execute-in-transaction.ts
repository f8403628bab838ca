import { lineAndColumn, type Statement } from "../analysis/parse.ts";
import { withServerBudget } from "../db/index.ts";
import { appliedRecordFor, MigrationStatementError, type ExecutionResult, type MigrationRun } from "../session/execution.ts";
import { withLockRetries } from "../session/retry.ts";
import { migrationQueryLabel, sessionResetPrefix } from "../session/session.ts";
import { statementsBudgetMs, transactionTimeoutsSql } from "../session/timeouts.ts";

/**
 * Files up to this size go to the server as one query; larger ones a run of statements of about this
 * size at a time, inside the same transaction. One query of a 50 MB file cost its text again in the
 * query string, again in the socket's buffer, and an object per statement in the reply, all at once.
 */
export const PIECE_CHARS = 1024 * 1024;

/** Characters [start, end) of the file, holding `statements` statements. */
interface Piece {
  start: number;
  end: number;
  statements: number;
}

/**
 * The file cut just before a statement's first character into pieces of about PIECE_CHARS: such a cut
 * is never inside a string, a comment or a body, and the pieces put together are exactly the file.
 */
export function piecesOf(sql: string, statements: readonly Statement[]): Piece[] {
  if (sql.length <= PIECE_CHARS) return [{ start: 0, end: sql.length, statements: statements.length }];
  const pieces: Piece[] = [];
  let start = 0;
  let count = 0;
  for (const statement of statements) {
    if (count > 0 && statement.offset - start >= PIECE_CHARS) {
      pieces.push({ start, end: statement.offset, statements: count });
      start = statement.offset;
      count = 0;
    }
    count++;
  }
  pieces.push({ start, end: sql.length, statements: count });
  return pieces;
}

/**
 * One migration, one transaction: the session reset (src/session/session.ts), the timeouts, the file,
 * the ledger row, schema_version and the event go to the server as one round trip, so a migration
 * costs what its own SQL costs. A large file goes as a few pieces in that transaction, the ledger row
 * and COMMIT with the last. On error the whole transaction is rolled back: nothing of the file stays.
 */
export async function executeInTransaction(run: MigrationRun, firstFailure?: unknown): Promise<ExecutionResult> {
  const { client, context, migration } = run;
  const prefix = `${migrationQueryLabel("apply", migration.version)}\n${await sessionResetPrefix(client, context.actor, context.environment)}\nBEGIN; ${transactionTimeoutsSql(context.environment)}\n`;
  const pieces = piecesOf(migration.sql, run.statements);
  let lockRetries = 0;
  // `firstFailure`: the first try ran elsewhere (in a batch, src/runner/execute-batch.ts) and was not granted its locks in time.
  await withLockRetries(context.environment, { version: migration.version, onProgress: context.onProgress }, async (retry) => {
    lockRetries = retry;
    const record = appliedRecordFor(run, { lockRetries: retry, outsideTransaction: false });
    // Where in the file the query being sent starts (before the file, by the prefix, for the first).
    let queryStart = -prefix.length;
    try {
      for (const [index, piece] of pieces.entries()) {
        const first = index === 0;
        const last = index === pieces.length - 1;
        queryStart = first ? -prefix.length : piece.start;
        const text = `${first ? prefix : ""}${migration.sql.slice(piece.start, piece.end)}${last ? `\n;${record}\nCOMMIT;` : ""}`;
        await withServerBudget(client, statementsBudgetMs(context.environment, piece.statements + (last ? 1 : 0)), () => client.query(text));
      }
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw annotate(error, queryStart, migration.sql);
    }
  }, firstFailure);
  return { outsideTransaction: false, lockRetries };
}

/** Postgres reports the error position in the query's text, which starts at `queryStart` of the file: turn it into a line of the file. */
export function annotate(error: unknown, queryStart: number, sql: string): unknown {
  const { code, position } = error as { code?: string; position?: string };
  if (code === "55P03") return error;
  const offset = position ? Number(position) - 1 + queryStart : -1;
  const line = offset >= 0 && offset < sql.length ? lineAndColumn(sql, offset).line : undefined;
  return new MigrationStatementError(error, { sqlstate: code, line });
}
