export { ensureLedger, LEDGER_REVISION } from "./ensure.ts";
export { DEFAULT_LEDGER_SCHEMA, inLedgerSchema } from "./place.ts";
export {
  adoptionAdvice,
  findForeignLedgers,
  ForeignLedgerTableError,
  UnadoptedForeignLedgerError,
  type ForeignLedger,
  type ForeignTool,
} from "./foreign.ts";
export { advisoryKey, MIGRATION_LOCK_KEY } from "./lock-keys.ts";
export {
  ACTOR_SETTING,
  bindActor,
  fitActor,
  readLedger,
  readLedgerEntry,
  readLedgerForRollback,
  readLedgerEntryForRollback,
  appliedRecordSql,
  recordFailure,
  recordRollback,
  rollbackCopiedRecordSql,
  recordAutoRollback,
  recordRollbackFailure,
  type LedgerEntry,
  type RollbackLedgerEntry,
  type LedgerRow,
  type LedgerStatus,
  type AppliedRecord,
  type FailedRecord,
  type RollbackRecord,
} from "./records.ts";
export { LOCK_NOT_HELD_SQLSTATE, MIGRATION_LOCK_GUARD_SQL } from "./functions/assert-migration-lock.ts";
export {
  readExpansion,
  readExpansions,
  openExpansionOn,
  earlierVersionSchemas,
  recordExpansionStarted,
  recordStepDone,
  recordBackfillProgress,
  backfillProgressSql,
  recordExpansionState,
  recordExpansionEvent,
  hasOpenExpansion,
  isOpenExpansion,
  openExpansionVersions,
  type ExpansionRow,
  type ExpansionState,
  type BackfillProgress,
} from "./expansions.ts";
export { recordAdopted, type AdoptedRecord } from "./adopted.ts";
