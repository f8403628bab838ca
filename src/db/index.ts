export { connectClient, createPool, databaseLabel, withClient, isUnreachable, DatabaseUnreachableError, firstContact, GET_A_DATABASE_HINT } from "./connect.ts";
export { ConnectionSilentError, DEFAULT_DEADLINE, keepIdleSessionAlive, withServerBudget, type QueryDeadline } from "./deadline.ts";
