/** The engine's operations on one database. It knows nothing of Slack or queues. */
export { applyMigrations } from "./apply.ts";
export { rollbackMigration } from "./rollback.ts";
export { rollbackMigrations, rollbackTargets, type RollbackManyOptions, type RollbackManyReport } from "./rollback-many.ts";
export { previewRollback, type RollbackPreview } from "./rollback-safety.ts";
export { getStatus } from "./status.ts";
export { deprecationLines, deprecationReport, type DeprecationReport } from "./deprecation.ts";
export { planMigrations } from "./plan.ts";
export { pendingMigrations } from "./pending.ts";
export { getHistory } from "./history.ts";
export { verifyMigrations } from "./verify.ts";
export { getHealth } from "./health.ts";
export {
  planWatch,
  runWatchRound,
  decideRound,
  mergeErrors,
  rollBackWatched,
  watchInForeground,
  missingRollbacks,
  describeCheck,
  describeOutcome,
  watchSucceeded,
  isConnectionProblem,
  databaseName,
  onDatabases,
  oneDatabase,
  type WatchPlan,
  type WatchedDatabase,
  type DatabaseRollback,
  type WatchScope,
  type WatchRound,
  type WatchOutcome,
  type RoundDecision,
} from "./watch.ts";
export { type WatchCheck, type CheckResult, WATCH_STARTED_SETTING } from "./watch-checks.ts";
export { planWatchAcross, acrossDatabases, rollbackScope, type WatchSite, type AppliedOn } from "./watch-across.ts";
export { ensureLedger } from "../ledger/index.ts";
export { findLockHolder, MIGRATION_LOCK_KEY } from "../session/lock.ts";
export * from "./errors.ts";
export type * from "./types.ts";
export { liveTables, serverMajorVersion, type LiveTableSize } from "./live-tables.ts";
