export { ensureLedger, advisoryKey, LEDGER_REVISION } from "./ensure.ts";
export {
  bindActor,
  readLedger,
  readLedgerEntry,
  appliedRecordSql,
  recordFailure,
  recordRollback,
  recordRollbackFailure,
  type LedgerEntry,
  type AppliedRecord,
  type FailedRecord,
  type RollbackRecord,
} from "./records.ts";
