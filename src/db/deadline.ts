import type pg from "pg";
import { RookeryError } from "../errors.ts";

/**
 * How long one query may take: what the server may legitimately spend on it by its own timeouts
 * (`serverBudgetMs`, Infinity when nothing bounds it), plus `graceMs` for the network. A query
 * unanswered past both is on a silent connection (a dead peer, or a proxy that stops forwarding
 * while TCP stays up, which keepalive probes alone never notice).
 */
export interface QueryDeadline {
  serverBudgetMs: number;
  graceMs: number;
  /** Watches a query that nothing bounds (no server-side timeout) while it runs (src/db/liveness-watchdog.ts). */
  watchdog?: QueryWatchdog;
}

/**
 * Starts watching `client`'s query in flight; calls `fail` when the connection is found dead; the
 * returned function stops watching (the query was answered).
 */
export type QueryWatchdog = (client: pg.ClientBase, fail: (error: ConnectionSilentError) => void) => () => void;

/** Without a setting of its own: short control queries (the server answers them at once). */
export const DEFAULT_DEADLINE: QueryDeadline = { serverBudgetMs: 30_000, graceMs: 30_000 };

/** The connection answered nothing within the query's deadline; the client closed it. */
export class ConnectionSilentError extends RookeryError {
  /** ETIMEDOUT: a network failure, worth retrying (src/db isUnreachable). */
  readonly code = "ETIMEDOUT";

  /** `why` replaces the deadline's account of the wait, for a query that had none (the watchdog's finding). */
  constructor(label: string, deadline: QueryDeadline, why?: string) {
    const waited = Math.round((deadline.serverBudgetMs + deadline.graceMs) / 100) / 10;
    super(
      why
        ? `no answer from ${label}: ${why}`
        : `no answer from ${label} within ${waited} s (the query's own timeout ${Math.round(deadline.serverBudgetMs / 100) / 10} s plus queryDeadlineGrace ${Math.round(deadline.graceMs / 100) / 10} s): the network or a proxy in between went silent, so the connection was closed`,
      {
        hint: "It is retried as a transient failure. The server ends the abandoned session by its own timeouts (idle_session_timeout, tcp_keepalives_*), which frees the migration lock; `rookery status` shows what was applied.",
      },
    );
  }
}

interface DeadlineState {
  deadline: QueryDeadline;
  label: string;
  silent?: ConnectionSilentError;
  /** Queries sent and not yet answered, and when the last one was sent or answered. */
  inFlight: number;
  lastActivity: number;
  /** Starts the deadline of the query in flight again (`renewDeadline`). */
  renew?: () => void;
}

const states = new WeakMap<pg.ClientBase, DeadlineState>();

const MAX_TIMER_MS = 2 ** 31 - 1;

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * Gives every query of `client` a deadline. Past it the socket is destroyed (pg then fails the query
 * and the client, which a pool discards) and the query rejects with ConnectionSilentError. pg's own
 * query_timeout is not enough: it leaves the connection busy with the unanswered query.
 */
export function armDeadlines(client: pg.ClientBase, deadline: QueryDeadline, label: string): void {
  if (states.has(client)) return;
  const state: DeadlineState = { deadline, label, inFlight: 0, lastActivity: Date.now() };
  states.set(client, state);
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const expire = (silent = new ConnectionSilentError(state.label, state.deadline)) => {
    if (state.silent) return;
    state.silent = silent;
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  };
  const arm = (): (() => void) => {
    state.inFlight += 1;
    state.lastActivity = Date.now();
    const { serverBudgetMs, graceMs } = state.deadline;
    // setTimeout fires at once past 2^31-1 ms (24.8 days): a budget that long (a file of 70,000
    // statements at the statement timeout each) is as good as none.
    const bounded = Number.isFinite(serverBudgetMs) && serverBudgetMs + graceMs <= MAX_TIMER_MS;
    let timer = bounded ? setTimeout(() => expire(), serverBudgetMs + graceMs) : undefined;
    // Unbounded (a concurrent index build, statementTimeout 0): the server is asked whether it still works on it.
    const stopWatching = bounded ? undefined : state.deadline.watchdog?.(client, expire);
    let done = false;
    state.renew = () => {
      if (done || timer === undefined) return;
      clearTimeout(timer);
      timer = setTimeout(() => expire(), serverBudgetMs + graceMs);
    };
    return () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stopWatching?.();
      state.inFlight -= 1;
      state.lastActivity = Date.now();
    };
  };
  const replaced = (error: unknown) => state.silent ?? error;
  (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      const disarm = arm();
      args[args.length - 1] = ((error, result) => {
        disarm();
        (last as Callback)(error ? (replaced(error) as Error) : null, result);
      }) satisfies Callback;
      return original(...args);
    }
    const first = args[0] as { submit?: unknown; once?: (event: string, listener: () => void) => void } | undefined;
    if (first && typeof first.submit === "function") {
      // A submittable (a cursor, a stream) reports through its own events.
      const disarm = arm();
      first.once?.("end", disarm);
      first.once?.("error", disarm);
      return original(...args);
    }
    const disarm = arm();
    return (original(...args) as Promise<unknown>).then(
      (result) => {
        disarm();
        return result;
      },
      (error: unknown) => {
        disarm();
        throw replaced(error);
      },
    );
  };
}

/**
 * The query in flight on `client` (one of a session's, which sends one at a time) gets its whole
 * deadline again from now: a query of several migrations (src/runner/execute-batch.ts) renews it as
 * each one commits, so each migration has its own budget, as when each went as a query of its own,
 * and a silent network is noticed within one migration's budget, not the whole batch's.
 */
export function renewDeadline(client: pg.ClientBase): void {
  states.get(client)?.renew?.();
}

/**
 * Why the client closed the connection, once a deadline passed: a submittable query (a cursor, a batch)
 * fails with pg's own "Connection terminated", which this replaces, as a plain query's error is.
 */
export function silenceOf(client: pg.ClientBase): ConnectionSilentError | undefined {
  return states.get(client)?.silent;
}

/**
 * While this process lives, its session never sits idle for `idleMs`: when no query has gone out for
 * that long (the run is busy elsewhere: pg_dump, a slow Slack call, parsing), a `SELECT 1` goes. So the
 * server's idle timeouts end a session only when its client is gone or unreachable, never a live run's.
 */
export function keepIdleSessionAlive(client: pg.ClientBase, idleMs: number): () => void {
  const state = states.get(client);
  if (!state || idleMs <= 0) return () => {};
  const timer = setInterval(() => {
    if (state.inFlight === 0 && Date.now() - state.lastActivity >= idleMs) void client.query("SELECT 1").catch(() => {});
  }, Math.max(50, Math.floor(idleMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Runs `use` with every query of `client` allowed `serverBudgetMs` by the server (a lock wait, a
 * migration of many statements), then restores the client's own budget.
 */
export async function withServerBudget<T>(client: pg.ClientBase, serverBudgetMs: number, use: () => Promise<T>): Promise<T> {
  const state = states.get(client);
  if (!state) return use();
  const before = state.deadline;
  state.deadline = { ...before, serverBudgetMs };
  try {
    return await use();
  } finally {
    state.deadline = before;
  }
}
