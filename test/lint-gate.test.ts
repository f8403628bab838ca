import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSql, loadParser, type MigrationAnalysis } from "../src/analysis/index.ts";
import { lintGate } from "../src/policy/lint-gate.ts";

beforeAll(() => loadParser());

const production = { name: "production", blockOn: ["error" as const], approvals: 2 };

function analysis(version: string, sql: string): MigrationAnalysis {
  return analyzeSql(sql, `${version}.sql`, { version });
}

describe("lint gate", () => {
  it("lets a clean DDL Add through with the usual approvals", () => {
    const verdict = lintGate(production, [analysis("20251101_000001", "CREATE TABLE t (id bigint PRIMARY KEY);")]);
    expect(verdict).toEqual({ blocked: false, blocking: [], extraApprovals: 0, reasons: [] });
  });

  it("blocks on error findings, naming each one", () => {
    const verdict = lintGate(production, [analysis("20251101_000002", "CREATE INDEX users_plan_idx ON users (plan);")]);
    expect(verdict.blocked).toBe(true);
    expect(verdict.blocking.map((finding) => finding.rule)).toEqual(["require-concurrent-index-creation"]);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^20251101_000002\.sql:1:1 require-concurrent-index-creation \(error, blocks in production\): /)]);
  });

  it("does not block on warnings unless the environment's blockOn lists them", () => {
    const warned = [analysis("20251101_000003", "ALTER TABLE users ADD COLUMN nick varchar(20);")];
    expect(lintGate(production, warned).blocked).toBe(false);
    const strict = lintGate({ ...production, name: "strict", blockOn: ["error", "warning"] }, warned);
    expect(strict.blocking.map((finding) => finding.rule)).toEqual(["prefer-text-over-varchar"]);
  });

  it("ignores suppressed findings", () => {
    const allowed = analysis(
      "20251101_000004",
      "-- rookery:allow require-concurrent-index-creation the table has 12 rows\nCREATE INDEX i ON settings (key);",
    );
    expect(lintGate(production, [allowed]).blocked).toBe(false);
  });

  it("always blocks a syntax error, even when blockOn is empty", () => {
    const verdict = lintGate({ ...production, blockOn: [] }, [analysis("20251101_000005", "SELEC 1;")]);
    expect(verdict.blocked).toBe(true);
    expect(verdict.blocking).toMatchObject([{ rule: "syntax-error", line: 1, column: 1 }]);
  });

  it("asks one approval more for a DDL Delete, once per request", () => {
    const drops = [
      analysis("20251101_000006", "-- rookery:allow dropping-column-or-table unused since release 4.2\nALTER TABLE users DROP COLUMN IF EXISTS fax;"),
      analysis("20251101_000007", "-- rookery:allow dropping-column-or-table unused since release 4.2\nDROP TABLE IF EXISTS legacy;"),
    ];
    const verdict = lintGate(production, drops);
    expect(verdict).toMatchObject({ blocked: false, blocking: [], extraApprovals: 1 });
    expect(verdict.reasons).toEqual([
      "20251101_000006 is a DDL Delete (deprecation first, high-risk rollback): 3 approval(s) instead of 2",
      "20251101_000007 is a DDL Delete (deprecation first, high-risk rollback): 3 approval(s) instead of 2",
    ]);
  });
});
