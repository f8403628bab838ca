import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSql, loadParser } from "../src/analysis/index.ts";

beforeAll(() => loadParser());

describe("suppression comments", () => {
  it("moves an allowed finding to suppressed, with the reason approvers will read", () => {
    const sql = `-- rookery:allow require-concurrent-index-creation audit_log holds 40 rows, the build takes milliseconds
CREATE INDEX audit_log_at_idx ON audit_log (at);
UPDATE users SET plan = 'free';`;
    const analysis = analyzeSql(sql, "007_allow.sql");
    expect(analysis.findings.map((finding) => finding.rule)).toEqual(["unbounded-update-or-delete"]);
    expect(analysis.suppressed).toMatchObject([
      {
        rule: "require-concurrent-index-creation",
        file: "007_allow.sql",
        line: 2,
        reason: "audit_log holds 40 rows, the build takes milliseconds",
        allowedAt: { file: "007_allow.sql", line: 1 },
      },
    ]);
  });

  it("keeps the finding and reports the allow itself when it gives no reason", () => {
    const sql = "CREATE INDEX audit_log_at_idx ON audit_log (at); -- rookery:allow require-concurrent-index-creation\n";
    const analysis = analyzeSql(sql, "008_allow.sql");
    expect(analysis.suppressed).toEqual([]);
    expect(analysis.findings.map((finding) => [finding.rule, finding.severity, finding.line, finding.column])).toEqual([
      ["require-concurrent-index-creation", "error", 1, 1],
      ["allow-without-reason", "error", 1, sql.indexOf("--") + 1],
    ]);
  });

  it("reports an allow naming no rule", () => {
    const analysis = analyzeSql("-- rookery:allow no-such-rule because\nSELECT 1;", "009_allow.sql");
    expect(analysis.findings).toMatchObject([{ rule: "allow-names-unknown-rule", line: 1, column: 1 }]);
  });

  it("ignores the allow syntax inside a string literal", () => {
    const sql = "INSERT INTO notes (body) VALUES ('-- rookery:allow unbounded-update-or-delete nope');\nDELETE FROM notes;";
    expect(analyzeSql(sql, "010_string.sql").findings.map((finding) => finding.rule)).toEqual(["unbounded-update-or-delete"]);
  });

  it("honours an allow in the rollback file for a finding in the rollback file", () => {
    const analysis = analyzeSql("CREATE TABLE t (id bigint);", "011_t.sql", {
      rollback: { path: "rollback_011_t.sql", sql: "-- rookery:allow rollback-drop-without-if-exists the table always exists here\nDROP TABLE t;" },
    });
    expect(analysis.findings).toEqual([]);
    expect(analysis.suppressed).toMatchObject([{ rule: "rollback-drop-without-if-exists", file: "rollback_011_t.sql", reason: "the table always exists here" }]);
  });

  it("cannot silence a syntax error", () => {
    const analysis = analyzeSql("-- rookery:allow syntax-error it is fine\nSELEC 1;", "012_bad.sql");
    expect(analysis.findings.map((finding) => finding.rule)).toEqual(["allow-names-unknown-rule", "syntax-error"]);
  });
});
