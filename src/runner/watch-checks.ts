import type pg from "pg";
import type { Catalog, Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { describeError } from "../errors.ts";
import { withLedgerClient } from "../session/session.ts";
import { verifyMigrations } from "./verify.ts";

/**
 * One thing the watch after an apply looks at. `verify` is the ledger's own integrity test of a version;
 * `file` comes from a `-- rookery:check` line of the migration (checksummed with it); `environment` from the
 * environment's `autoRollback.checks` in the config.
 */
export interface WatchCheck {
  name: string;
  source: "verify" | "file" | "environment";
  /** The version it belongs to (verify and file checks). */
  version?: string;
  /** SQL returning one boolean; verify checks have none. */
  sql?: string;
}

export interface CheckResult {
  name: string;
  /** `approver`: "Roll back now" from the request message, not a check. */
  source: WatchCheck["source"] | "approver";
  /** pass: returned true; fail: returned false (or verify FAILed); error: could not say (bad SQL, timeout, not a boolean). */
  status: "pass" | "fail" | "error";
  /** What it saw, for the message: the second column when the check returns one, else the boolean; the error for errors. */
  value: string;
  /** Across targets (docs/targets.md): the target and database it ran on. */
  target?: string;
  database?: string;
}

/** The session setting a check reads to mean "since the apply": `current_setting('rookery.watch_started_at')::timestamptz`. */
export const WATCH_STARTED_SETTING = "rookery.watch_started_at";

/** The file integrity tests of verify say nothing about the database's health: an edited file is not a reason to roll back. */
const FILE_ONLY_TESTS = new Set(["checksum_drift", "missing_files"]);

/** Every check a watch of these migrations runs: verify of each version, the files' checks, the environment's. */
export function watchChecksFor(environment: Environment, migrations: Migration[]): WatchCheck[] {
  const newestFirst = [...migrations].sort((a, b) => b.version.localeCompare(a.version));
  return [
    ...newestFirst.map((migration): WatchCheck => ({ name: `verify ${migration.version}`, source: "verify", version: migration.version })),
    ...newestFirst.flatMap((migration) =>
      migration.checks.map((check): WatchCheck => ({ name: `${migration.version}/${check.name}`, source: "file", version: migration.version, sql: check.sql })),
    ),
    ...Object.entries(environment.autoRollback?.checks ?? {}).map(([name, sql]): WatchCheck => ({ name, source: "environment", sql })),
  ];
}

function display(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value).slice(0, 200);
}

/**
 * One SQL check in a read-only transaction of its own, under the check timeout. It runs as a prepared
 * statement, so the text holds exactly one statement: no `; COMMIT; ...` can leave the read-only transaction.
 */
async function runSqlCheck(client: pg.ClientBase, check: WatchCheck, index: number, startedAt: Date, timeoutMs: number): Promise<CheckResult> {
  const result = (status: CheckResult["status"], value: string): CheckResult => ({ name: check.name, source: check.source, status, value });
  try {
    await client.query("BEGIN READ ONLY");
    await client.query("SELECT set_config('statement_timeout', $1, true), set_config($2, $3, true)", [
      String(Math.trunc(timeoutMs)),
      WATCH_STARTED_SETTING,
      startedAt.toISOString(),
    ]);
    const { rows } = await client.query<unknown[]>({ name: `rookery_watch_check_${index}`, text: check.sql!, rowMode: "array" });
    const row = rows[0];
    if (!row || row.length === 0) return result("error", "returned no row (a check returns one row whose first column is a boolean)");
    const [healthy, value] = row;
    if (typeof healthy !== "boolean") return result("error", `returned ${display(healthy)}, not a boolean`);
    return result(healthy ? "pass" : "fail", row.length > 1 ? display(value) : String(healthy));
  } catch (error) {
    return result("error", describeError(error));
  } finally {
    await client.query("ROLLBACK").catch(() => {});
  }
}

async function runVerifyCheck(environment: Environment, catalog: Catalog, check: WatchCheck): Promise<CheckResult> {
  const report = await verifyMigrations(environment, catalog, check.version);
  const failed = report.checks.filter((test) => test.status === "FAIL" && !FILE_ONLY_TESTS.has(test.name));
  return {
    name: check.name,
    source: "verify",
    status: failed.length === 0 ? "pass" : "fail",
    value: failed.length === 0 ? "PASS" : failed.map((test) => `${test.name}: ${test.details}`).join("; "),
  };
}

/**
 * Runs every check once, in order, and returns every result: one failing check does not hide the others.
 * A database that cannot be reached throws (the caller tries again next interval); everything else is a result.
 */
export async function runWatchChecks(
  environment: Environment,
  catalog: Catalog,
  checks: WatchCheck[],
  startedAt: Date,
): Promise<CheckResult[]> {
  const timeoutMs = environment.autoRollback?.checkTimeout ?? 5000;
  const results: CheckResult[] = [];
  for (const check of checks.filter((candidate) => candidate.source === "verify")) results.push(await runVerifyCheck(environment, catalog, check));
  const sqlChecks = checks.filter((candidate) => candidate.source !== "verify");
  if (sqlChecks.length > 0) {
    await withLedgerClient(environment, async (client) => {
      for (const [index, check] of sqlChecks.entries()) results.push(await runSqlCheck(client, check, index, startedAt, timeoutMs));
    });
  }
  return results;
}
