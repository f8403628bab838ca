import type pg from "pg";
import { BACKEND_START_SQL, connectClient, databaseLabel, keepIdleSessionAlive, livenessWatchdog, type BackendIdentity, type QueryDeadline } from "../db/index.ts";
import { ACTOR_SETTING, bindActor, ensureLedger, fitActor } from "../ledger/index.ts";
import type { Environment } from "../config/index.ts";
import { acquireMigrationLock, releaseMigrationLock } from "./lock.ts";
import type { RunContext } from "./context.ts";

export { databaseLabel };

/**
 * A query of the engine's session may take the statement timeout, then the grace, before the client
 * calls the connection dead; one with no statement timeout (a concurrent build, statementTimeout 0) is
 * watched instead: the server is asked every queryLivenessInterval whether it still runs it.
 */
export function sessionDeadline(environment: Environment, backend?: () => BackendIdentity | undefined): QueryDeadline {
  return {
    serverBudgetMs: environment.statementTimeout > 0 ? environment.statementTimeout : Infinity,
    graceMs: environment.queryDeadlineGrace,
    watchdog: livenessWatchdog({
      url: environment.databaseUrl,
      label: databaseLabel(environment.databaseUrl),
      intervalMs: environment.queryLivenessInterval,
      graceMs: environment.queryDeadlineGrace,
      backend,
    }),
  };
}

/**
 * The server's half of a dead-connection bound: when the client vanished (or a proxy stopped
 * forwarding), the server ends the session by itself, which frees the migration lock for the next
 * runner. Its own TCP keepalive notices a dead peer in about 25 s; a session left idle (or idle in an
 * open transaction) past statementTimeout plus queryDeadlineGrace is ended even when TCP stays up.
 * Settings a server does not have (idle_session_timeout before Postgres 14) are skipped.
 */
function idleLimitMs(environment: Environment): number {
  return environment.statementTimeout > 0 ? Math.round(environment.statementTimeout + environment.queryDeadlineGrace) : 0;
}

function guardSettings(environment: Environment): Record<string, string> {
  const idleMs = idleLimitMs(environment);
  return {
    tcp_keepalives_idle: "10",
    tcp_keepalives_interval: "5",
    tcp_keepalives_count: "3",
    idle_in_transaction_session_timeout: String(idleMs),
    idle_session_timeout: String(idleMs),
  };
}

function sessionGuardSql(environment: Environment, identity = false): string {
  const settings = guardSettings(environment);
  // Our own numbers only, so a literal; RESET ALL between migrations clears them, so each reset sets them again (guardsAsSet).
  // current_setting(name, true) is NULL for a setting the server does not have; pg_settings would tell the
  // same but builds every setting's row first, most of a millisecond at every reset. The backend's start
  // is read once, when the session opens (`identity`), not at every reset; so is the actor its startup packet gave it.
  // From the view's function for this one backend: the view joins pg_database and pg_authid, and planning that in a
  // new backend made this first query cost 2.2 ms of the server's time instead of 1.0 (every database of a fleet opens one).
  const startedAt = identity
    ? `,\n      (SELECT ${BACKEND_START_SQL} FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid())) AS started_at,` +
      `\n      pg_catalog.current_setting('${ACTOR_SETTING}', true) AS actor,` +
      `\n      pg_catalog.string_agg(v.name, ',') AS guards`
    : "";
  return `SELECT count(set_config(v.name, v.value, false)), pg_catalog.pg_backend_pid() AS pid${startedAt}
    FROM jsonb_each_text('${JSON.stringify(settings)}'::jsonb) AS v(name, value) WHERE pg_catalog.current_setting(v.name, true) IS NOT NULL;`;
}

/**
 * Runner sessions whose startup packet carried the actor, with that actor: there it is the setting's
 * reset value, which every session reset goes back to (it survives RESET ALL), so the reset needs no
 * binding and the ledger writer still reads it. A session missing here (a pooler refused or dropped
 * the startup setting) gets the actor bound by a parameter after each reset instead.
 */
const actorAtReset = new WeakMap<pg.ClientBase, string>();

function actorSurvivesReset(client: pg.ClientBase, actor: string): boolean {
  return actorAtReset.get(client) === fitActor(actor);
}

/**
 * One connection to the environment's database with the ledger in place, closed afterwards. With an
 * `actor` (a runner's session) the session carries it as `rookery.actor` for the ledger writer: sent
 * in the startup packet, never in SQL text, and checked in the query that opens the session.
 */
export async function withLedgerClient<T>(environment: Environment, use: (client: pg.Client) => Promise<T>, actor?: string): Promise<T> {
  let backend: BackendIdentity | undefined;
  const startupSettings: Record<string, string> = actor === undefined ? {} : { [ACTOR_SETTING]: fitActor(actor) };
  const client = await connectClient(environment.databaseUrl, "rookery", sessionDeadline(environment, () => backend), undefined, startupSettings);
  // A live run may leave its session idle (pg_dump, a slow Slack call between migrations): it says so now and then.
  const stopKeepingAlive = keepIdleSessionAlive(client, Math.floor(idleLimitMs(environment) / 3));
  try {
    const row = (await client.query<{ pid: number; started_at: string; actor: string | null; guards: string | null }>(sessionGuardSql(environment, true))).rows[0];
    backend = row ? { pid: row.pid, startedAt: row.started_at } : undefined;
    if (row) guardsAtReset.set(client, guardsAsSet(environment, row.guards?.split(",") ?? []));
    if (actor !== undefined) {
      // PgBouncer refuses `options` (connectClient connected again without it) or drops it when told to ignore it.
      if (row?.actor === fitActor(actor)) actorAtReset.set(client, row.actor);
      else await bindActor(client, actor);
    }
    await ensureLedger(client, environment.ledgerSchema);
    return await use(client);
  } finally {
    stopKeepingAlive();
    await client.end().catch(() => {});
  }
}

/**
 * What DISCARD ALL does, except releasing advisory locks (DISCARD ALL would give up the migration
 * lock) and dropping cached plans: every setting back to the session's defaults (search_path,
 * session_replication_role, ...), the login role back (SET ROLE / SET SESSION AUTHORIZATION), cursors,
 * prepared statements, LISTENs, temporary tables and sequence state gone. The actor, from the startup
 * packet, is the reset value of its setting and stays. Cached plans are no state a migration can see:
 * Postgres plans again by itself when a table, type or function a plan uses changes, or the search_path
 * or role it was made under; DISCARD PLANS only made the ledger functions plan their writes again at
 * every migration.
 */
const SESSION_RESET_SQL =
  "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; DISCARD TEMP; DISCARD SEQUENCES;";

/**
 * Puts the runner's session back as it was when the run began, keeping its migration lock: each
 * migration starts from a clean session whatever the one before it SET, so a `SET search_path` or a
 * `SET session_replication_role = replica` in one file never reaches the next. The server-side
 * guards of a dead connection (sessionGuardSql) are set again; so is the actor, as a bound parameter
 * in a round trip of its own, where the startup packet did not give it (behind PgBouncer).
 */
export async function resetSession(client: pg.ClientBase, actor: string, environment: Environment): Promise<void> {
  await client.query(resetSessionSql(client, environment));
  if (!actorSurvivesReset(client, actor)) await bindActor(client, actor);
}

/**
 * The guards again after a reset, as plain SETs of the settings the server has (the session-open query
 * told which): a SET needs no planning, where the SELECT of set_config over a JSON list was most of the
 * reset's server time (0.10-0.14 of 0.13-0.18 ms). A session opened otherwise gets that SELECT.
 */
const guardsAtReset = new WeakMap<pg.ClientBase, string>();

function guardsAsSet(environment: Environment, names: string[]): string {
  const settings = guardSettings(environment);
  return names.filter((name) => name in settings).map((name) => `SET ${name} = ${Number(settings[name])};`).join(" ");
}

function resetSessionSql(client: pg.ClientBase, environment: Environment): string {
  return `${SESSION_RESET_SQL} ${guardsAtReset.get(client) ?? sessionGuardSql(environment)}`;
}

/**
 * The same reset for the query that runs a transaction, as SQL to open it: before its BEGIN it runs
 * in the implicit transaction the BEGIN turns into the explicit one (none of it is refused in a
 * transaction block), so the reset and the transaction cost one round trip, and a failed transaction
 * undoes the reset too (the caller resets again on failure). Where the actor must be bound after the
 * reset, the reset and the binding go first, in round trips of their own, and the query opens with
 * nothing ("").
 */
/**
 * The reset as SQL to open a query, for a caller that cannot make a round trip of its own between the
 * reset and the query (several migrations in one query): undefined where the actor must be bound
 * after each reset (behind PgBouncer).
 */
export function resetSqlInQuery(client: pg.ClientBase, actor: string, environment: Environment): string | undefined {
  return actorSurvivesReset(client, actor) ? resetSessionSql(client, environment) : undefined;
}

export async function sessionResetPrefix(client: pg.ClientBase, actor: string, environment: Environment): Promise<string> {
  if (actorSurvivesReset(client, actor)) return resetSessionSql(client, environment);
  await resetSession(client, actor, environment);
  return "";
}

/**
 * A leading comment naming the migration, for whoever reads pg_stat_activity (a DBA, rehearsal's lock
 * sampler): its query column begins with the session reset, and a long one is cut at
 * track_activity_query_size. A version is digits and an underscore (VERSION_PATTERN), so it cannot end
 * the comment.
 */
export function migrationQueryLabel(step: "apply" | "rollback", version: string): string {
  return `/* rookery ${step} ${version.replace(/[^0-9_]/g, "")} */`;
}

/**
 * A runner's session: one connection that holds the database's migration lock for the whole run and
 * runs every migration, so whatever the lock protects is done by its holder.
 */
export async function withRunnerSession<T>(ctx: RunContext, use: (client: pg.Client, lockPid: number) => Promise<T>): Promise<T> {
  return withLedgerClient(ctx.environment, async (client) => {
    const lockPid = await acquireMigrationLock(client, ctx.environment, ctx.onProgress);
    try {
      return await use(client, lockPid);
    } finally {
      await releaseMigrationLock(client).catch(() => {});
    }
  }, ctx.actor);
}
