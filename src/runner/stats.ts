import type { Environment } from "../config/index.ts";
import { withClient } from "../db/index.ts";
import { inLedgerSchema } from "../ledger/index.ts";

export interface StatsHour {
  /** ISO time of the hour's start. */
  hour: string;
  applied: number;
  failed: number;
  rolledBack: number;
  /** Mean gap before each migration applied in this hour, since the one applied before it; null for none. */
  avgHoursBetween: number | null;
}

export interface StatsReport {
  environment: string;
  days: number;
  totals: { applied: number; failed: number; rolledBack: number };
  /** Hours with any activity, newest first. */
  hours: StatsHour[];
  /** Applied migrations per day, oldest first, one entry per day of the window (for a chart). */
  appliedPerDay: number[];
}

/**
 * The document's dashboard, written so Postgres accepts it: the gap to the previous migration comes
 * from lag() in a CTE and is averaged afterwards (a window function cannot sit inside an aggregate),
 * and it reads migration_events, so failures and rollbacks count at their own time instead of at the
 * time the version was first applied. The gap is over all history, so the first migration in the
 * window still has one.
 */
const DASHBOARD_SQL = `
WITH outcomes AS (
  SELECT executed_at, event,
         CASE WHEN event = 'applied'
              THEN executed_at - lag(executed_at) OVER (PARTITION BY event = 'applied' ORDER BY executed_at, id)
         END AS gap
  FROM public.migration_events
  WHERE event IN ('applied', 'failed', 'rolled_back')
)
SELECT date_trunc('hour', executed_at) AS hour,
       count(*) FILTER (WHERE event = 'applied')::int AS applied,
       count(*) FILTER (WHERE event = 'failed')::int AS failed,
       count(*) FILTER (WHERE event = 'rolled_back')::int AS rolled_back,
       round(avg(extract(epoch FROM gap) / 3600)::numeric, 4)::float8 AS avg_hours_between
FROM outcomes
WHERE executed_at >= now() - make_interval(days => $1)
GROUP BY 1
ORDER BY 1 DESC`;

const PER_DAY_SQL = `
SELECT count(e.id) FILTER (WHERE e.event = 'applied')::int AS applied
FROM generate_series(date_trunc('day', now()) - make_interval(days => $1 - 1), date_trunc('day', now()), interval '1 day') AS day
LEFT JOIN public.migration_events e ON e.executed_at >= day AND e.executed_at < day + interval '1 day' AND e.event = 'applied'
GROUP BY day
ORDER BY day`;

interface HourRow {
  hour: Date;
  applied: number;
  failed: number;
  rolled_back: number;
  avg_hours_between: number | null;
}

export async function getStats(environment: Environment, options: { days?: number } = {}): Promise<StatsReport> {
  const days = Math.max(1, Math.floor(options.days ?? 30));
  return withClient(environment.databaseUrl, async (client) => {
    const present = await client.query(inLedgerSchema("SELECT to_regclass('public.migration_events') IS NOT NULL AS present", environment.ledgerSchema));
    const hours: StatsHour[] = [];
    let appliedPerDay: number[] = Array.from({ length: days }, () => 0);
    if (present.rows[0]?.present === true) {
      const { rows } = await client.query<HourRow>(inLedgerSchema(DASHBOARD_SQL, environment.ledgerSchema), [days]);
      for (const row of rows) {
        hours.push({
          hour: row.hour.toISOString(),
          applied: row.applied,
          failed: row.failed,
          rolledBack: row.rolled_back,
          avgHoursBetween: row.avg_hours_between,
        });
      }
      appliedPerDay = (await client.query<{ applied: number }>(inLedgerSchema(PER_DAY_SQL, environment.ledgerSchema), [days])).rows.map((row) => row.applied);
    }
    const totals = hours.reduce(
      (sum, hour) => ({ applied: sum.applied + hour.applied, failed: sum.failed + hour.failed, rolledBack: sum.rolledBack + hour.rolledBack }),
      { applied: 0, failed: 0, rolledBack: 0 },
    );
    return { environment: environment.name, days, totals, hours, appliedPerDay };
  });
}

const BARS = "▁▂▃▄▅▆▇█";

/** A one-line chart: the lowest bar for zero, the highest for the largest value. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((value) => (max === 0 || value <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.ceil((value / max) * (BARS.length - 1)))]))
    .join("");
}
