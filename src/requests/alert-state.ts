import type pg from "pg";

export type AlertLevel = "CRITICAL" | "WARNING";

/** What was last posted for one problem of one environment. */
export interface AlertState {
  environment: string;
  key: string;
  level: AlertLevel;
  version: string | null;
  message: string;
  firstSeenAt: Date;
  lastPostedAt: Date;
}

/** Problems posted and not yet resolved. */
export async function openAlerts(pool: pg.Pool, environment: string): Promise<AlertState[]> {
  const { rows } = await pool.query(
    `SELECT environment, alert_key, level, version, message, first_seen_at, last_posted_at
       FROM rookery_control.alert_state WHERE environment = $1 AND resolved_at IS NULL ORDER BY alert_key`,
    [environment],
  );
  return rows.map((row) => ({
    environment: row.environment,
    key: row.alert_key,
    level: row.level,
    version: row.version,
    message: row.message,
    firstSeenAt: row.first_seen_at,
    lastPostedAt: row.last_posted_at,
  }));
}

/** Remembers that this state was posted (a new problem, a changed level, or a repeat). */
export async function recordAlertPosted(pool: pg.Pool, state: AlertState): Promise<void> {
  await pool.query(
    `INSERT INTO rookery_control.alert_state (environment, alert_key, level, version, message, first_seen_at, last_posted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (environment, alert_key) DO UPDATE
       SET level = EXCLUDED.level, version = EXCLUDED.version, message = EXCLUDED.message,
           first_seen_at = CASE WHEN rookery_control.alert_state.resolved_at IS NULL
                                THEN rookery_control.alert_state.first_seen_at ELSE EXCLUDED.first_seen_at END,
           last_posted_at = EXCLUDED.last_posted_at, resolved_at = NULL`,
    [state.environment, state.key, state.level, state.version, state.message, state.firstSeenAt, state.lastPostedAt],
  );
}

export async function recordAlertResolved(pool: pg.Pool, environment: string, key: string, at: Date): Promise<void> {
  await pool.query(`UPDATE rookery_control.alert_state SET resolved_at = $3 WHERE environment = $1 AND alert_key = $2`, [
    environment,
    key,
    at,
  ]);
}
