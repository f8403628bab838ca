import type pg from "pg";
import type { Catalog, Migration } from "../catalog/index.ts";
import type { LedgerStatus } from "../ledger/index.ts";
import type { ForeignLedger } from "../ledger/foreign.ts";
import type { ExpansionSummary } from "../expand/index.ts";
export type { ExpansionSummary } from "../expand/index.ts";

/**
 * The engine's contract with whoever drives it: the CLI, the queue worker, tests. The context of a
 * run and its progress events live below the runner (src/session/), which expand/ shares.
 */
export type { StepName, ProgressEvent, ProgressListener, RunContext } from "../session/context.ts";

export interface ApplyOptions {
  /** Versions to apply, in this order; undefined means every pending migration. */
  versions?: string[];
  /**
   * Checksums pinned when a request was approved: a file changed since then is refused,
   * never applied.
   */
  expectedChecksums?: Record<string, string>;
  /**
   * Apply although Rookery's ledger is empty and another tool's ledger holds rows (that table belongs
   * to something else). Without it such a run is refused: it would replay a history already applied.
   */
  ignoreForeignLedger?: boolean;
  /**
   * Called with the migrations about to run once the ledger is read under the lock (not called when
   * nothing is pending); a throw stops the run before anything of it runs. The CLI asks the deployment
   * policy here, of what this run will apply, instead of reading the ledger on a connection of its own first;
   * `session` is the run's, for what the caller reads of this database.
   */
  beforeRunning?: (pending: Migration[], session: pg.ClientBase) => Promise<void>;
}

export interface AppliedMigration {
  version: string;
  description: string;
  checksum: string;
  durationMs: number;
  /** True when the file held statements that cannot run inside a transaction. */
  outsideTransaction: boolean;
  lockRetries: number;
  /**
   * Applied by an earlier attempt of the same chat request (the queue): one that failed later in its run, or whose
   * worker died past the commit before it could report it. Its `durationMs` is then not known (0).
   */
  byEarlierAttempt?: boolean;
}

export interface MigrationFailure {
  version: string;
  /** What went wrong, with Postgres's DETAIL and HINT on lines of their own when it gave them. */
  error: string;
  sqlstate?: string;
  /** Postgres's DETAIL and HINT of the failure, also for --json readers. */
  postgresDetail?: string;
  postgresHint?: string;
  /** Worth retrying later as it is (lock waits exhausted, connection lost), unlike a SQL error. */
  transient: boolean;
}

export interface ApplyReport {
  environment: string;
  applied: AppliedMigration[];
  /** Already applied by someone else by the time the lock was taken: not an error. */
  skipped: { version: string; reason: string }[];
  failed?: MigrationFailure;
}

export interface RollbackOptions {
  version: string;
  reason: string;
  /** An automatic rollback (src/runner/watch.ts): what set it off, recorded as an `auto_rolled_back` event beside `rolled_back`. */
  trigger?: Record<string, unknown>;
}

export interface RollbackReport {
  environment: string;
  version: string;
  reason: string;
  durationMs: number;
  /** The document's safety check, as shown before running: applied less than an hour ago. */
  safety: "SAFE_TO_ROLLBACK" | "RECENT_MIGRATION_CAUTION";
}

// The ledger's own shapes live with the ledger, below the runner; the runner's contract speaks them too.
export type { LedgerRow, LedgerStatus } from "../ledger/index.ts";

export interface MigrationState {
  version: string;
  description: string;
  path?: string;
  /** `pending`: in the folder, never applied (or rolled back / failed and waiting to be applied again). */
  state: LedgerStatus | "pending";
  appliedAt?: string;
  appliedBy?: string;
  /** The file on disk no longer matches the checksum recorded when it was applied. */
  drift: boolean;
  /** Applied but no longer in the folder. */
  missingFile: boolean;
  hasRollback: boolean;
  /** Still applied because its latest rollback failed: a CRITICAL until rolled back or re-applied. */
  rollbackFailed: boolean;
  /** An expand-contract migration between its phases (docs/expand-contract.md). */
  expansion?: ExpansionSummary;
}

export interface StatusReport {
  environment: string;
  /** Other migration tools' ledgers in the database (golang-migrate, Flyway, ...), with what to do about them. */
  foreignLedgers: (ForeignLedger & { advice: string })[];
  currentVersion: string | null;
  migrations: MigrationState[];
  counts: { applied: number; pending: number; failed: number; rolledBack: number; rollbackFailed: number; drift: number };
}

export interface PlanStep {
  version: string;
  description: string;
  path: string;
  checksum: string;
  hasRollback: boolean;
  outsideTransaction: boolean;
  /** Re-applying after a rollback or failure. */
  reapply: boolean;
  /** The layout the file was read in and the version as the file names it, which maps onto `version`. */
  origin: Migration["origin"];
  /** `-- rookery:expand-contract`: apply expands it; `rookery complete` contracts it. */
  expandContract: boolean;
  /** What the database says about the file's DROPs and type changes: views they break, what a CASCADE drops with them. */
  databaseWarnings: string[];
}

export interface IntegrityCheck {
  name: string;
  status: "PASS" | "FAIL" | "WARNING";
  details: string;
}

export interface VerifyReport {
  environment: string;
  version?: string;
  ok: boolean;
  checks: IntegrityCheck[];
}

export interface HealthRow {
  version: string;
  description: string;
  appliedAt: string;
  appliedBy: string;
  status: LedgerStatus;
  hoursSinceApplication: number;
  /** ROLLBACK_FAILED: still applied, and the latest rollback of it failed (a CRITICAL). EXPANDED: between expand and complete. */
  healthStatus: "NEWLY_APPLIED" | "HEALTHY" | "ROLLED_BACK" | "FAILED" | "ROLLBACK_FAILED" | "EXPANDED";
  alertLevel: "CRITICAL" | "WARNING" | "INFO" | "OK";
  /** What to do, when the row says more than its status: "expanded for 30.2 h: complete or roll back". */
  advice?: string;
}

export interface HistoryEvent {
  at: string;
  version: string | null;
  event: string;
  actor: string;
  reason: string | null;
  detail: Record<string, unknown>;
}

export type { Catalog, Migration };
