import { RookeryError } from "../errors.ts";

export interface LockHolder {
  pid: number;
  applicationName: string;
  client: string | null;
  user: string | null;
  since: string | null;
  query: string | null;
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return "another session (it has released the lock since, or is not visible to this role)";
  const who = [`pid ${holder.pid}`, holder.applicationName ? `application "${holder.applicationName}"` : undefined,
    holder.user ? `user ${holder.user}` : undefined, holder.client ? `from ${holder.client}` : undefined]
    .filter(Boolean)
    .join(", ");
  return holder.since ? `${who}, connected since ${holder.since}` : who;
}

/** Another runner (CLI, worker, a DBA) held the database's migration lock for longer than we wait. */
export class AdvisoryLockTimeoutError extends RookeryError {
  readonly holder: LockHolder | undefined;

  constructor(database: string, waitedMs: number, holder: LockHolder | undefined) {
    super(`another migration run holds the lock on ${database}: ${describeHolder(holder)}; waited ${Math.round(waitedMs / 1000)} s`, {
      hint: "Wait for that run to finish and try again, or raise advisoryLockWait. If the holder is stuck, pg_terminate_backend(pid) releases it.",
    });
    this.holder = holder;
  }
}

/** The connection goes through a transaction-pooling proxy: session locks and SET would not hold. */
export class TransactionPoolingError extends RookeryError {
  constructor(database: string, evidence: string) {
    super(`the connection to ${database} does not keep its session (${evidence}): probably a transaction-pooling PgBouncer`, {
      hint: "Point the environment's databaseUrl at Postgres directly, or at a PgBouncer pool in session mode.",
    });
  }
}
