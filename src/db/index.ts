export { connectClient, createPool, databaseLabel, withClient, isUnreachable, DatabaseUnreachableError } from "./connect.ts";
export { ConnectionSilentError, DEFAULT_DEADLINE, withServerBudget, type QueryDeadline } from "./deadline.ts";
