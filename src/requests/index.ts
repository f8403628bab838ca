/**
 * The control store: change requests, approvals, the outbox, the audit log and alert state, in the
 * `rookery_control` schema of CONTROL_DATABASE_URL. It enforces the invariants of a request (own request,
 * duplicate click, expiry, state); who may approve is the caller's policy.
 */
export { ensureControlSchema, CONTROL_SCHEMA } from "./schema.ts";
export { createRequest } from "./create.ts";
export { findRequest, REQUEST_ID_TEXT } from "./find-request.ts";
export { recordApproval, type ApprovalResult } from "./approve.ts";
export { rejectRequest, cancelRequest, expirePendingRequests } from "./decide.ts";
export {
  getRequest,
  listRequests,
  setMessageRef,
  markQueued,
  markRunning,
  markSucceeded,
  markFailed,
  markRetrying,
  touchRunning,
  hasLiveWorker,
  HEARTBEAT_EVERY_MS,
} from "./lifecycle.ts";
export { unsentOutbox, markOutboxSent, markOutboxFailed, requestsAwaitingJobs, resendOutbox } from "./outbox.ts";
export { audit, auditOnce, listAudit, type AuditEntry, type AuditRecord } from "./audit.ts";
export {
  createWatch,
  getWatch,
  watchOfRequest,
  openWatches,
  recordWatchRound,
  markWatchRollingBack,
  finishWatch,
  requestWatchRollback,
  type WatchRecord,
  type WatchStatus,
} from "./watches.ts";
export { recordDrill, failedDrills, type DrillFailure } from "./drill-results.ts";
export { openAlerts, recordAlertPosted, recordAlertResolved, type AlertState, type AlertLevel } from "./alert-state.ts";
export {
  FINAL_STATUSES,
  REQUEST_KINDS,
  REQUEST_STATUSES,
  NewRequestSchema,
  type Approval,
  type ApprovalOutcome,
  type ChangeRequest,
  type NewRequest,
  type RejectionOutcome,
  type RequestKind,
  type RequestStatus,
} from "./types.ts";
export {
  ensureTargetRuns,
  planTargetRuns,
  listTargetRuns,
  listCurrentStep,
  tallyTargetRuns,
  startTargetRun,
  finishTargetRun,
  resumeTargetRuns,
  isFinished,
  type TargetRunRow,
  type TargetRunStatus,
  type PlannedRun,
} from "./target-runs.ts";
export { targetPinKey, pinsOfTarget, pinnedTargets, isAcrossTargets, pinTargets } from "./target-pins.ts";
