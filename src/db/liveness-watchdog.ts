import type pg from "pg";
import { connectClient } from "./connect.ts";
import { ConnectionSilentError, type QueryWatchdog } from "./deadline.ts";

export interface LivenessWatchdogOptions {
  /** The database the watched client is connected to: the side connection goes the same way. */
  url: string;
  label: string;
  intervalMs: number;
  /** How long the side connection may take to answer, and how long a finished statement's answer may take to arrive. */
  graceMs: number;
  /**
   * The server process of the watched session, as `SELECT pg_backend_pid()` told it. Behind a
   * session-mode pooler the key the connection was given (`processID`) is the pooler's, not a pid.
   */
  backendPid?: () => number | undefined;
}

/** What the server says of the watched backend. */
type Finding =
  | { kind: "running" }
  /** The server answered, but not about the backend (too many connections, no privilege to see its state): no verdict. */
  | { kind: "unknown" }
  | { kind: "silent" }
  /** Not working on a query any more (idle, or gone) for `sinceMs` while the client still waits: the answer was lost. */
  | { kind: "finished"; state: string; sinceMs: number };

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * A query the server does not bound (a concurrent index build, any query under statementTimeout 0)
 * has no deadline to expire, however long it runs. Every `intervalMs` while it is in flight, a
 * short-lived side connection asks pg_stat_activity whether the client's backend is still `active`.
 * The connection is called dead (the socket destroyed, the query failing with ConnectionSilentError)
 * when the side connection gets no answer within `graceMs`, or when the backend has stopped working
 * on the query (idle, gone) for `graceMs` and its answer never arrived; that session, idle and
 * useless, is then terminated so it frees the migration lock. A statement that is merely long is never
 * cut off while the server says it runs.
 */
export function livenessWatchdog(options: LivenessWatchdogOptions): QueryWatchdog {
  return (client, fail) => {
    const pid = options.backendPid?.() ?? (client as { processID?: number | null }).processID;
    if (!pid) return () => {};
    let stopped = false;
    let goneSince: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const finding = await askServer(options, pid, () => goneSince);
      if (stopped) return;
      if (finding.kind === "silent") {
        return fail(
          new ConnectionSilentError(
            options.label,
            { serverBudgetMs: Infinity, graceMs: options.graceMs },
            `a statement with no timeout of its own was running, and a liveness check on a separate connection got no answer within queryDeadlineGrace ${seconds(options.graceMs)} s (checked every queryLivenessInterval ${seconds(options.intervalMs)} s): the network or a proxy in between went silent, so the connection was closed`,
          ),
        );
      }
      if (finding.kind === "finished" && finding.sinceMs >= options.graceMs) {
        return fail(
          new ConnectionSilentError(
            options.label,
            { serverBudgetMs: Infinity, graceMs: options.graceMs },
            `${finding.state === "is gone" ? `the server session running the statement ended ${seconds(finding.sinceMs)} s ago` : `the server finished the statement ${seconds(finding.sinceMs)} s ago (its session ${finding.state})`} but the answer never arrived within queryDeadlineGrace ${seconds(options.graceMs)} s: the network or a proxy in between lost it, so the connection was closed${finding.state === "is gone" ? "" : " and the server session ended"}`,
          ),
        );
      }
      if (finding.kind === "finished" && finding.state === "is gone") goneSince ??= Date.now();
      if (finding.kind === "running") goneSince = undefined;
      schedule();
    };
    const schedule = () => {
      timer = setTimeout(() => void tick(), options.intervalMs);
      timer.unref();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  };
}

const STATE_SQL = `SELECT state, (extract(epoch FROM clock_timestamp() - state_change) * 1000)::float8 AS since_ms
  FROM pg_catalog.pg_stat_activity WHERE pid = $1`;

/** Ends a session only while it still sits idle: one that took up work again is left alone. */
const TERMINATE_IDLE_SQL = "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid = $1 AND state <> 'active'";

/** One question on a connection of its own, all of it (connecting included) within the grace. */
async function askServer(options: LivenessWatchdogOptions, pid: number, goneSince: () => number | undefined): Promise<Finding> {
  let side: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<Finding>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "silent" }), options.graceMs);
  });
  const ask = (async (): Promise<Finding> => {
    side = await connectClient(options.url, "rookery-watchdog", { serverBudgetMs: 0, graceMs: options.graceMs }, options.graceMs);
    const { rows } = await side.query<{ state: string | null; since_ms: number }>(STATE_SQL, [pid]);
    const row = rows[0];
    const finding: Finding = !row
      ? { kind: "finished", state: "is gone", sinceMs: Date.now() - (goneSince() ?? Date.now()) }
      : row.state === "active"
        ? { kind: "running" }
        : row.state === null
          ? { kind: "unknown" }
          : { kind: "finished", state: `is ${row.state}`, sinceMs: row.since_ms };
    if (finding.kind === "finished" && row && finding.sinceMs >= options.graceMs) await side.query(TERMINATE_IDLE_SQL, [pid]);
    return finding;
  })().catch((error: unknown) => (answeredByServer(error) ? { kind: "unknown" } : { kind: "silent" }) satisfies Finding);
  try {
    return await Promise.race([ask, silence]);
  } finally {
    clearTimeout(timer);
    void ask.finally(() => side?.end().catch(() => {}));
  }
}

/** A SQLSTATE (too many connections, a login refused) means the server is there and said no: no verdict on the network. */
function answeredByServer(error: unknown): boolean {
  const code = ((error as { cause?: { code?: unknown } })?.cause?.code ?? (error as { code?: unknown })?.code) as unknown;
  // SQLSTATEs are five characters and none starts with E; errno names (EPIPE) do.
  return typeof code === "string" && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code);
}
