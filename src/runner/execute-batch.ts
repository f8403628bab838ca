import pg from "pg";
import { renewDeadline, silenceOf, withServerBudget } from "../db/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";
import { appliedRecordFor, type MigrationRun } from "../session/execution.ts";
import { migrationQueryLabel, resetSqlInQuery } from "../session/session.ts";
import { statementsBudgetMs, transactionTimeoutsSql } from "../session/timeouts.ts";
import { annotate, PIECE_CHARS } from "./execute-in-transaction.ts";

/** At most this many migrations, and about PIECE_CHARS of their SQL, go to the server in one query. */
export const BATCH_MAX_MIGRATIONS = 100;

/** What a batch did: how many of its migrations committed, in order, and the error that stopped the next one. */
export interface BatchOutcome {
  committed: number;
  /** The failure of migration `committed`, annotated with its line as executeInTransaction does; the later ones did not run. */
  failure?: unknown;
  /** With a failure: the server completed no statement of the query (Postgres refused its whole text at its parse, or never answered). */
  ranNone?: boolean;
}

/**
 * The migrations that may go in one query, from `runs[start]` on: consecutive files that run plainly in
 * one transaction (`fits`) and fit in one piece, while the session reset can open the query (the actor
 * came in the startup packet). None when fewer than two would go.
 */
export function batchFrom(client: pg.ClientBase, runs: readonly MigrationRun[], start: number, fits: (run: MigrationRun) => boolean): MigrationRun[] {
  const first = runs[start];
  if (!first || resetSqlInQuery(client, first.context.actor, first.context.environment) === undefined) return [];
  const batch: MigrationRun[] = [];
  let chars = 0;
  for (const run of runs.slice(start, start + BATCH_MAX_MIGRATIONS)) {
    if (!fits(run)) break;
    chars += run.migration.sql.length;
    if (batch.length > 0 && chars > PIECE_CHARS) break;
    batch.push(run);
  }
  return batch.length >= 2 ? batch : [];
}

/** The statement that opens each migration of a batch after the first, after its reset: see executeBatch. */
export function progressMarkSql(label: string, schema: string): string {
  return `${inLedgerSchema(`SELECT public.rookery_mark_progress(${pg.escapeLiteral(label)});`, schema)}\n`;
}

/**
 * A pg query that tells each COMMIT as its reply arrives. Postgres replies to a query of several
 * statements one statement after another, and sends what it holds at once when a notice follows
 * (`progressMarkSql`), so the client learns each migration's outcome while the server runs the next.
 */
export class CommitReportingQuery extends pg.Query {
  /** Whether the server completed any statement of the query: one Postgres refused at its parse ran none. */
  ranAny = false;

  constructor(text: string, private readonly onCommit: () => void) {
    super(text);
  }

  handleCommandComplete(message: { text?: string; command?: string }, connection: unknown): void {
    (pg.Query.prototype as unknown as { handleCommandComplete(message: unknown, connection: unknown): void }).handleCommandComplete.call(this, message, connection);
    this.ranAny = true;
    if ((message.text ?? message.command) === "COMMIT") this.onCommit();
  }
}

/**
 * Several migrations, each exactly as executeInTransaction runs it (the session reset, BEGIN, the
 * timeouts, the file, the ledger writes, COMMIT: its own transaction), one after another in one query,
 * so the server goes from one to the next without waiting for the client. Postgres stops a query at its
 * first error: the migrations before it stay committed, the failing one is rolled back with its reset,
 * and the later ones never start, as when they ran one query each. Each migration's query after the
 * first begins with a notice (`rookery_mark_progress`), which makes the server send the replies it holds
 * at once, so `onCommitted(index)` is called as each migration commits, not when the whole query ends.
 */
export async function executeBatch(runs: readonly MigrationRun[], onCommitted: (index: number) => void): Promise<BatchOutcome> {
  const { client, context } = runs[0]!;
  const { environment } = context;
  const reset = resetSqlInQuery(client, context.actor, environment);
  if (reset === undefined) throw new Error("executeBatch needs a session whose reset can open the query (batchFrom)");
  const timeouts = transactionTimeoutsSql(environment);
  let text = "";
  // Where each migration's file starts in the query: Postgres's error position is counted from the query's start.
  const fileStarts: number[] = [];
  // Each migration's own budget, the largest of the batch: the deadline starts again at every COMMIT (runBatchQuery).
  let statements = 0;
  for (const [index, run] of runs.entries()) {
    const mark = index === 0 ? "" : progressMarkSql(`applying ${run.migration.version}`, environment.ledgerSchema);
    text += `${migrationQueryLabel("apply", run.migration.version)}\n${reset}\n${mark}BEGIN; ${timeouts}\n`;
    fileStarts.push(text.length);
    text += `${run.migration.sql}\n;${appliedRecordFor(run, { lockRetries: 0, outsideTransaction: false })}\nCOMMIT;\n`;
    statements = Math.max(statements, run.statements.length + 1);
  }
  const outcome = await runBatchQuery(client, text, statementsBudgetMs(environment, statements), onCommitted);
  const failed = runs[outcome.committed];
  if (outcome.failure === undefined || !failed) return outcome;
  return { committed: outcome.committed, failure: annotate(outcome.failure, -fileStarts[outcome.committed]!, failed.migration.sql) };
}

/**
 * Sends a batch's query and tells each COMMIT as it arrives. `serverBudgetMs` is one migration's:
 * the client's deadline starts again as each commits. On an error the failing transaction is
 * rolled back (Postgres skipped the rest of the query), and the error is returned beside the count of
 * what committed before it.
 */
export async function runBatchQuery(client: pg.ClientBase, text: string, serverBudgetMs: number, onCommitted: (index: number) => void): Promise<BatchOutcome> {
  let committed = 0;
  const query = new CommitReportingQuery(text, () => {
    renewDeadline(client);
    onCommitted(committed++);
  });
  try {
    await withServerBudget(client, serverBudgetMs, () =>
      new Promise<void>((resolve, reject) => {
        query.once("end", () => resolve());
        query.once("error", reject);
        void client.query(query);
      }),
    );
    return { committed };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    return { committed, failure: silenceOf(client) ?? error, ranNone: !query.ranAny };
  }
}
