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
   * The server process of the watched session, as `SELECT pg_backend_pid()` and its
   * `pg_stat_activity.backend_start` told it. Behind a session-mode pooler the key the connection was
   * given (`processID`) is the pooler's, not a pid.
   */
  backend?: () => Partial<BackendIdentity> | undefined;
}

/**
 * One server process for sure: a pid is reused once its process ended, the pid with the time the
 * process started (`backend_start` in UTC, to the microsecond) is not. Only this one is ever ended.
 */
export interface BackendIdentity {
  pid: number;
  startedAt: string;
}

/** What the server says of the watched backend. */
type Finding =
  /** The server answered, but not about the backend (too many connections, no privilege to see its state): no verdict. */
  | { kind: "unknown" }
  | { kind: "silent" }
  /** Not working on a query any more (idle, or gone) for `sinceMs` while the client still waits: the answer was lost. */
  | { kind: "finished"; state: string; sinceMs: number; startedAt?: string }
  | { kind: "running"; startedAt?: string };

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * A query the server does not bound (a concurrent index build, any query under statementTimeout 0)
 * has no deadline to expire, however long it runs. Every `intervalMs` while it is in flight, a
 * short-lived side connection asks pg_stat_activity whether the client's backend is still `active`.
 * The connection is called dead (the socket destroyed, the query failing with ConnectionSilentError)
 * when the side connection gets no answer within `graceMs`, or when the backend has stopped working
 * on the query (idle, gone) for `graceMs` and its answer never arrived. Either way the backend, whose
 * client is gone, is then terminated from a side connection if that still reaches the server and it is
 * still the same process (pid and backend_start), so it frees the migration lock: under
 * statementTimeout 0, behind a proxy that keeps TCP up, nothing else would ever end it. The message
 * says whether it was ended. A statement that is merely long is never cut off while the server says it runs.
 */
export function livenessWatchdog(options: LivenessWatchdogOptions): QueryWatchdog {
  return (client, fail) => {
    const known = options.backend?.();
    const pid = known?.pid ?? (client as { processID?: number | null }).processID;
    if (!pid) return () => {};
    // Read from the server at the first check when the session did not say.
    let startedAt = known?.startedAt;
    let stopped = false;
    let goneSince: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const finding = await askServer(options, { pid, startedAt }, () => goneSince);
      if (stopped) return;
      if (finding.kind === "silent") {
        const ended = await endAbandoned(options, pid, startedAt);
        if (stopped) return;
        return fail(
          new ConnectionSilentError(
            options.label,
            { serverBudgetMs: Infinity, graceMs: options.graceMs },
            `a statement with no timeout of its own was running, and a liveness check on a separate connection got no answer within queryDeadlineGrace ${seconds(options.graceMs)} s (checked every queryLivenessInterval ${seconds(options.intervalMs)} s): the network or a proxy in between went silent, so the connection was closed; ${ended}`,
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
      if (finding.kind === "running" || finding.kind === "finished") startedAt ??= finding.startedAt;
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

/** backend_start to the microsecond, the same text whatever the session's TimeZone and DateStyle. */
export const BACKEND_START_SQL = "pg_catalog.to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";

const STATE_SQL = `SELECT state, (extract(epoch FROM clock_timestamp() - state_change) * 1000)::float8 AS since_ms, ${BACKEND_START_SQL} AS started_at
  FROM pg_catalog.pg_stat_activity WHERE pid = $1`;

/**
 * Ends the watched process, and only it (pid and backend_start), and only when idle unless `$3`: a
 * session idle past the grace whose answer was lost, or one whose client gave it up for silence.
 */
const TERMINATE_SQL = `SELECT pg_catalog.pg_terminate_backend(pid) AS ended FROM pg_catalog.pg_stat_activity
  WHERE pid = $1 AND ${BACKEND_START_SQL} = $2 AND ($3 OR state <> 'active')`;

/** `use` on a connection of its own, all of it (connecting included) within the grace; "silent" when it did not answer in time. */
async function onSideConnection<T>(options: LivenessWatchdogOptions, use: (side: pg.Client) => Promise<T>): Promise<T | "silent"> {
  let side: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<"silent">((resolve) => {
    timer = setTimeout(() => resolve("silent"), options.graceMs);
  });
  const asked = (async () => {
    side = await connectClient(options.url, "rookery-watchdog", { serverBudgetMs: 0, graceMs: options.graceMs }, options.graceMs);
    return use(side);
  })();
  try {
    return await Promise.race([asked, silence]);
  } finally {
    clearTimeout(timer);
    void asked.catch(() => {}).finally(() => side?.end().catch(() => {}));
  }
}

/** One question about the watched backend. */
async function askServer(options: LivenessWatchdogOptions, backend: { pid: number; startedAt?: string }, goneSince: () => number | undefined): Promise<Finding> {
  const asked = onSideConnection(options, async (side): Promise<Finding> => {
    const { rows } = await side.query<{ state: string | null; since_ms: number; started_at: string | null }>(STATE_SQL, [backend.pid]);
    // A pid that is another process's now: the watched one is gone.
    const reused = rows[0]?.started_at != null && backend.startedAt !== undefined && rows[0].started_at !== backend.startedAt;
    const row = reused ? undefined : rows[0];
    const finding: Finding = !row
      ? { kind: "finished", state: "is gone", sinceMs: Date.now() - (goneSince() ?? Date.now()) }
      : row.state === "active"
        ? { kind: "running", startedAt: row.started_at ?? undefined }
        : row.state === null
          ? { kind: "unknown" }
          : { kind: "finished", state: `is ${row.state}`, sinceMs: row.since_ms, startedAt: row.started_at ?? undefined };
    if (finding.kind === "finished" && row && finding.sinceMs >= options.graceMs) await side.query(TERMINATE_SQL, [backend.pid, row.started_at, false]);
    return finding;
  });
  const finding = await asked.catch((error: unknown) => (answeredByServer(error) ? { kind: "unknown" } : { kind: "silent" }) satisfies Finding);
  return finding === "silent" ? { kind: "silent" } : finding;
}

/**
 * The watched backend after its client gave it up for silence: it runs on (a statement under
 * statementTimeout 0 forever) and holds the migration lock, so it is ended if a side connection
 * reaches the server within the grace. Says what became of it, for the run's message.
 */
async function endAbandoned(options: LivenessWatchdogOptions, pid: number, startedAt: string | undefined): Promise<string> {
  const unreached = `the server session that ran it (pid ${pid}) could not be reached to end it, and may hold the migration lock until it ends: once the server answers, end it with SELECT pg_terminate_backend(${pid}) (the next runner's lock wait names it)`;
  // Never seen by a check: which process the pid is now is unknown, so it is left alone.
  if (startedAt === undefined) return unreached;
  const outcome = await onSideConnection(options, async (side) => {
    const { rows } = await side.query<{ ended: boolean }>(TERMINATE_SQL, [pid, startedAt, true]);
    return rows[0]?.ended === true ? "ended" : "gone";
  }).catch(() => "silent" as const);
  if (outcome === "ended") return `the server session that ran it (pid ${pid}) was reached from a new connection and terminated, so the migration lock is free`;
  if (outcome === "gone") return `the server session that ran it (pid ${pid}) had already ended`;
  return unreached;
}

/** A SQLSTATE (too many connections, a login refused) means the server is there and said no: no verdict on the network. */
function answeredByServer(error: unknown): boolean {
  const code = ((error as { cause?: { code?: unknown } })?.cause?.code ?? (error as { code?: unknown })?.code) as unknown;
  // SQLSTATEs are five characters and none starts with E; errno names (EPIPE) do.
  return typeof code === "string" && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code);
}
