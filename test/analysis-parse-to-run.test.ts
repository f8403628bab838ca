import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isNonTransactional, isTransactionControl, loadParser, mayNeedParseToRun, parseStatements } from "../src/analysis/parse.ts";

/** Every form of statement the runner must see before it runs a script: its own transaction control, or what Postgres refuses inside one. */
const FLAGGED = [
  "BEGIN",
  "begin transaction isolation level serializable",
  "START TRANSACTION READ ONLY",
  "COMMIT",
  "commit and chain",
  "END",
  "ABORT",
  "ROLLBACK",
  "ROLLBACK TO SAVEPOINT before_drop",
  "SAVEPOINT before_drop",
  "RELEASE before_drop",
  "RELEASE SAVEPOINT before_drop",
  "PREPARE TRANSACTION 'x'",
  "COMMIT PREPARED 'x'",
  "ROLLBACK PREPARED 'x'",
  "CREATE INDEX CONCURRENTLY orders_total ON orders (total)",
  "create unique index concurrently if not exists orders_ref ON orders (ref)",
  "DROP INDEX CONCURRENTLY orders_total",
  "REINDEX INDEX CONCURRENTLY orders_total",
  "REINDEX (CONCURRENTLY) TABLE orders",
  "VACUUM orders",
  "vacuum (analyze, verbose) orders",
  "CREATE DATABASE reports",
  "DROP DATABASE IF EXISTS reports",
  "CREATE TABLESPACE fast LOCATION '/mnt/fast'",
  "DROP TABLESPACE fast",
  "ALTER SYSTEM SET work_mem = '64MB'",
  "ALTER TABLE measurements DETACH PARTITION measurements_2024 CONCURRENTLY",
  // Case, comments and line breaks never hide a keyword from Postgres, nor from the guard.
  "CoMmIt",
  "/* the end */ DROP TABLE a; cOmMiT",
  "DROP TABLE a;\n-- note\nROLLBACK;",
];

/** Scripts the runner may send in one transaction as written: no keyword of the guard occurs, not even inside a word. */
const PLAIN = ["DROP TABLE bench_0300;", "ALTER TABLE orders DROP COLUMN total;\nDROP INDEX orders_ref;", "DELETE FROM flags WHERE name = 'x';", "DROP TYPE mood; DROP SEQUENCE ids;"];

function migrationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? migrationFiles(full) : entry.name.endsWith(".sql") ? [full] : [];
  });
}

describe("which scripts run unparsed (mayNeedParseToRun)", () => {
  beforeAll(() => loadParser());

  it.each(FLAGGED)("%s: the parser flags it, and the guard sends it to the parser", (sql) => {
    const statements = parseStatements(sql, "script.sql");
    expect(statements.some((statement) => isTransactionControl(statement) || isNonTransactional(statement))).toBe(true);
    expect(mayNeedParseToRun(sql)).toBe(true);
  });

  it.each(PLAIN)("%s: runs unparsed, and the parser agrees it is plain", (sql) => {
    expect(mayNeedParseToRun(sql)).toBe(false);
    expect(parseStatements(sql, "script.sql").some((statement) => isTransactionControl(statement) || isNonTransactional(statement))).toBe(false);
  });

  it("never lets a flagged statement of the repository's own migrations through unparsed", () => {
    const files = migrationFiles(path.resolve(import.meta.dirname, "../migrations"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      for (const statement of parseStatements(readFileSync(file, "utf8"), file)) {
        if (isTransactionControl(statement) || isNonTransactional(statement)) expect(mayNeedParseToRun(statement.sql), `${file}:${statement.line}`).toBe(true);
      }
    }
  });
});
