export { connectClient, createPool, databaseLabel, withClient, isUnreachable, DatabaseUnreachableError, firstContact, GET_A_DATABASE_HINT } from "./connect.ts";
export { ConnectionSilentError, DEFAULT_DEADLINE, keepIdleSessionAlive, renewDeadline, silenceOf, withServerBudget, type QueryDeadline, type QueryWatchdog } from "./deadline.ts";
export { BACKEND_START_SQL, livenessWatchdog, type BackendIdentity, type LivenessWatchdogOptions } from "./liveness-watchdog.ts";
