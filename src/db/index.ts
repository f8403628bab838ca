export { connectClient, createPool, withClient, isUnreachable, DatabaseUnreachableError } from "./connect.ts";
