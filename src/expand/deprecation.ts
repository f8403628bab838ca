import type pg from "pg";
import { readExpansion } from "../ledger/index.ts";
import type { ExpansionPlan } from "./plan.ts";

/** One column or table an expansion deprecated (hidden from the new version) and its complete drops. */
export interface DeprecatedThing {
  /** `invoices.note` or `invoices` (the schema left out when it is public). */
  name: string;
  /** Statements in pg_stat_statements that still mention it, and their calls. */
  queries: number;
  calls: number;
}

export type DeprecationCheck =
  | { installed: false; dropped: string[] }
  | { installed: true; statsReset: string | null; things: DeprecatedThing[] }
  | { installed: true; unreadable: string; dropped: string[] };

function words(name: string): string {
  return `\\m${name.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&")}\\M`;
}

/**
 * Whether queries still use what an expansion deprecated (DROP COLUMN / DROP TABLE under
 * expand-contract), from pg_stat_statements where it is installed. It keeps no per-query times:
 * what it counts is everything since its statistics were last reset (pg_stat_statements_info).
 * Only data statements count (DDL mentions the names too), and none of Rookery's own (`rookery_`).
 * Undefined when the version drops nothing or is not expanded.
 */
export async function checkDeprecated(client: pg.ClientBase, ledgerSchema: string, version: string): Promise<DeprecationCheck | undefined> {
  const row = await readExpansion(client, ledgerSchema, version);
  if (!row || row.state !== "expanded") return undefined;
  const plan = row.plan as ExpansionPlan;
  const targets = plan.specs.flatMap((spec) => {
    const table = spec.table.schema === "public" ? spec.table.name : `${spec.table.schema}.${spec.table.name}`;
    if (spec.op === "drop-column") return [{ name: `${table}.${spec.column}`, patterns: [words(spec.table.name), words(spec.column)] }];
    if (spec.op === "drop-table") return [{ name: table, patterns: [words(spec.table.name)] }];
    return [];
  });
  if (targets.length === 0) return undefined;
  const dropped = targets.map((target) => target.name);
  const { rows: extension } = await client.query<{ schema: string }>(
    "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'",
  );
  if (!extension[0]) return { installed: false, dropped };
  const schema = `"${extension[0].schema.replace(/"/g, '""')}"`;
  try {
    const info = await client.query<{ present: boolean }>(`SELECT to_regclass('${extension[0].schema.replace(/'/g, "''")}.pg_stat_statements_info') IS NOT NULL AS present`);
    const statsReset = info.rows[0]?.present
      ? ((await client.query<{ stats_reset: Date | null }>(`SELECT stats_reset FROM ${schema}.pg_stat_statements_info`)).rows[0]?.stats_reset?.toISOString() ?? null)
      : null;
    const things: DeprecatedThing[] = [];
    for (const target of targets) {
      const { rows } = await client.query<{ queries: number; calls: string | null }>(
        `SELECT count(*)::int AS queries, sum(calls)::text AS calls FROM ${schema}.pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND query ~* '^\\s*(select|insert|update|delete|with|merge|copy|table)\\M' AND query !~* 'rookery_'
            AND query ~* ALL ($1::text[])`,
        [target.patterns],
      );
      things.push({ name: target.name, queries: rows[0]?.queries ?? 0, calls: Number(rows[0]?.calls ?? 0) });
    }
    return { installed: true, statsReset, things };
  } catch (error) {
    // Installed but not loaded (shared_preload_libraries), or not readable by this role.
    return { installed: true, unreadable: (error as Error).message, dropped };
  }
}

/** How a line is marked: the chat's emoji, or words for a terminal and a log. */
const MARKS = {
  chat: { used: ":warning:", unused: ":white_check_mark:" },
  plain: { used: "WARNING", unused: "ok" },
};

/** The lines for a person, one per deprecated column or table (or one saying it cannot be checked). */
export function describeDeprecation(check: DeprecationCheck, environment: string, windowHours: number, now: Date, marks: keyof typeof MARKS = "chat"): string[] {
  if (!check.installed) return [`pg_stat_statements is not installed on ${environment}: whether queries still use ${check.dropped.join(", ")} cannot be checked.`];
  if ("unreadable" in check) return [`pg_stat_statements could not be read on ${environment} (${check.unreadable}): whether queries still use ${check.dropped.join(", ")} cannot be checked.`];
  const hours = check.statsReset ? (now.getTime() - Date.parse(check.statsReset)) / 3_600_000 : undefined;
  const since = `since the statistics were last reset (${check.statsReset ? `${check.statsReset.slice(0, 16).replace("T", " ")} UTC, ${hours!.toFixed(1)} h ago` : "time unknown"})`;
  const window =
    hours === undefined ? `pg_stat_statements keeps no per-query times, so this may not be the last ${windowHours} h (deprecationWindowHours)`
    : hours < windowHours ? `that is less than deprecationWindowHours (${windowHours} h): a release that runs rarely may not show yet`
    : `that covers more than deprecationWindowHours (${windowHours} h), and pg_stat_statements keeps no per-query times: to see the last ${windowHours} h only, run SELECT pg_stat_statements_reset() and ask again after ${windowHours} h`;
  return check.things.map((thing) =>
    thing.queries > 0
      ? `${MARKS[marks].used} deprecated ${thing.name}: ${thing.queries} ${thing.queries === 1 ? "query" : "queries"} (${thing.calls} calls) in pg_stat_statements still mention it ${since}; ${window}.`
      : `${MARKS[marks].unused} deprecated ${thing.name}: no query in pg_stat_statements mentions it ${since}; ${window}.`,
  );
}
