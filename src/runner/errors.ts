import { RookeryError } from "../errors.ts";

// The lock's errors live with the lock, below the runner (src/session/); the runner's callers meet them here too.
export { AdvisoryLockTimeoutError, TransactionPoolingError, type LockHolder } from "../session/errors.ts";

/** A file changed after its checksum was pinned (for example when a request was approved). */
export class ChecksumMismatchError extends RookeryError {
  readonly version: string;

  constructor(version: string, path: string, expected: string, actual: string) {
    super(`${path} (${version}) changed since it was approved: checksum ${actual.slice(0, 12)}… instead of ${expected.slice(0, 12)}…; nothing was applied`, {
      hint: "Review the change and ask for approval again.",
    });
    this.version = version;
  }
}

/** A rollback file that changed (or was added or removed) since the request was approved. */
export class RollbackChangedError extends RookeryError {
  readonly version: string;

  constructor(version: string, path: string, how: "changed" | "added" | "removed") {
    super(`${path} (the rollback of ${version}) was ${how} since the request was approved; nothing was applied`, {
      hint: "The rollback stored at apply is the one an incident runs: review it and ask for approval again.",
    });
    this.version = version;
  }
}

/** The version asked for is not in the migrations folder. */
export class UnknownVersionError extends RookeryError {
  constructor(version: string, dir: string) {
    super(`there is no migration ${version} in ${dir}`, { hint: "`rookery status` lists the migrations and their versions." });
  }
}

/** The version is already applied: there is nothing to apply. */
export class NotPendingError extends RookeryError {
  constructor(version: string, appliedAt: string, appliedBy: string) {
    super(`${version} is already applied (at ${appliedAt} by ${appliedBy})`, {
      hint: "Nothing to do. To run it again, roll it back first.",
    });
  }
}

export class NothingToRollbackError extends RookeryError {
  constructor(version: string, status: string | undefined) {
    super(`${version} is not applied${status ? ` (it is ${status.replace("_", " ")})` : " (never applied here)"}, so there is nothing to roll back`, {
      hint: "`rookery status` shows what is applied.",
    });
  }
}

export class NoRollbackScriptError extends RookeryError {
  constructor(version: string) {
    super(`${version} has no rollback script stored: it was applied without a rollback_ file`, {
      hint: "Write a new migration that undoes it, or roll it back by hand and record why.",
    });
  }
}

/** The rollback script failed; its transaction was rolled back and the failure recorded. */
export class RollbackFailedError extends RookeryError {
  readonly sqlstate: string | undefined;
  /** Its locks were not granted within the lock retries: worth trying again as it is, like an apply. */
  readonly transient: boolean;

  constructor(version: string, message: string, sqlstate: string | undefined, transient = false) {
    super(`the rollback of ${version} failed and was undone: ${message}`, {
      hint: transient
        ? "Nothing changed; the failure is recorded in migration_events. Another transaction held the locks: rolling back again later is safe."
        : "Nothing changed; the failure is recorded in migration_events. Fix the cause and roll back again.",
    });
    this.sqlstate = sqlstate;
    this.transient = transient;
  }
}

/**
 * The connection died in the middle of a run (a terminated backend, a reset, a silent network).
 * Nothing could be recorded on it; `ledgerSays` is what the ledger holds, read again on a new connection.
 */
export class ConnectionLostError extends RookeryError {
  constructor(doing: string, cause: unknown, ledgerSays: string) {
    super(`the connection was lost while ${doing} (${(cause as Error)?.message ?? String(cause)}); ${ledgerSays}`, {
      hint: "A transient failure: a worker retries it by itself, and running it again is safe (the ledger is read again under the lock). `rookery status` shows the ledger.",
      cause,
    });
  }
}

/** A migration file wraps itself in BEGIN/COMMIT: Rookery already gives each migration its transaction. */
export class TransactionControlError extends RookeryError {
  constructor(path: string, line: number) {
    super(`${path}:${line}: the file controls its own transaction (BEGIN/COMMIT/ROLLBACK); nothing was applied`, {
      hint: "Remove it: each migration runs in a transaction of its own (or, when it holds CREATE INDEX CONCURRENTLY and the like, outside one).",
    });
  }
}
