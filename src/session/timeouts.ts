import type { Environment } from "../config/index.ts";

/** The environment's lock and statement timeouts for one migration's transaction. */
export function transactionTimeoutsSql(environment: Environment): string {
  return `SET LOCAL lock_timeout = ${Math.round(environment.lockTimeout)}; SET LOCAL statement_timeout = ${Math.round(environment.statementTimeout)};`;
}

/**
 * Session timeouts for one statement run outside a transaction. A concurrent build waits for every
 * older snapshot, so it gets the longer concurrentLockTimeout, and no statement timeout: it blocks no
 * reads or writes, and cancelling it would only leave an INVALID index behind.
 */
export function statementTimeoutsSql(environment: Environment, concurrent: boolean): string {
  const lockTimeout = concurrent ? environment.concurrentLockTimeout : environment.lockTimeout;
  const statementTimeout = concurrent ? 0 : environment.statementTimeout;
  return `SET lock_timeout = ${Math.round(lockTimeout)}; SET statement_timeout = ${Math.round(statementTimeout)};`;
}

export const RESET_TIMEOUTS_SQL = "RESET lock_timeout; RESET statement_timeout;";

/**
 * What the server may spend on one round trip of `count` statements under the environment's
 * statement_timeout (Postgres applies it to each statement of a multi-statement query): the client's
 * deadline for that round trip is this plus queryDeadlineGrace. Infinity when nothing bounds it.
 */
export function statementsBudgetMs(environment: Environment, count: number, concurrent = false): number {
  if (concurrent || environment.statementTimeout <= 0) return Infinity;
  return environment.statementTimeout * Math.max(1, count);
}
