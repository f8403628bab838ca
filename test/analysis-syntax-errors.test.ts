import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSql, loadParser } from "../src/analysis/index.ts";

beforeAll(() => loadParser());

describe("syntax errors", () => {
  it("reports the file, line and column of a syntax error and still returns the analysis", () => {
    const analysis = analyzeSql("CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN n bigint;\nSELEC 1;", "003_broken.sql");
    expect(analysis.syntaxError).toEqual({ file: "003_broken.sql", line: 3, column: 1, message: 'syntax error at or near "SELEC"' });
    expect(analysis.findings).toMatchObject([{ rule: "syntax-error", severity: "error", file: "003_broken.sql", line: 3, column: 1 }]);
    expect(analysis.statements).toEqual([]);
    // Nothing could be classified, so the file counts as the riskiest type.
    expect(analysis.type).toBe("DDL Delete");
  });

  it("says a psql meta-command is psql's, which Rookery does not run, instead of 'syntax error at or near \\'", () => {
    const analysis = analyzeSql("CREATE TABLE t (id bigint);\n\\set ON_ERROR_STOP on\n\\i other.sql\n", "006_psql.sql");
    expect(analysis.syntaxError).toMatchObject({ file: "006_psql.sql", line: 2, column: 1 });
    expect(analysis.syntaxError?.message).toMatch(/^\\set is a psql meta-command, which Rookery does not run/);
  });

  it("counts columns in characters when a multibyte character comes before the error", () => {
    const sql = "-- naïve café ☕ comment\nINSERT INTO notes (body) VALUES ('héllo wörld ☕') RETURNIN id;";
    const analysis = analyzeSql(sql, "004_unicode.sql");
    const column = sql.split("\n")[1]!.indexOf("RETURNIN") + 1;
    expect(analysis.syntaxError).toMatchObject({ file: "004_unicode.sql", line: 2, column });
  });

  it("reports a syntax error in the rollback file under the rollback's name, and still lints the migration", () => {
    const analysis = analyzeSql("CREATE INDEX users_plan_idx ON users (plan);", "005_index.sql", {
      rollback: { path: "rollback_005_index.sql", sql: "\n\nDROP INDEX IF EXIST users_plan_idx;" },
    });
    expect(analysis.syntaxError).toMatchObject({ file: "rollback_005_index.sql", line: 3, column: 15 });
    expect(analysis.findings.map((finding) => [finding.rule, finding.file])).toEqual([
      ["require-concurrent-index-creation", "005_index.sql"],
      ["syntax-error", "rollback_005_index.sql"],
    ]);
  });
});
