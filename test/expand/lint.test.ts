import { beforeAll, describe, expect, it } from "vitest";
import { analyzeSql } from "../../src/analysis/index.ts";
import { loadParser } from "../../src/analysis/parse.ts";
import { operationsOf } from "../../src/expand/index.ts";
import { parseStatements } from "../../src/analysis/parse.ts";
import { readCatalog } from "../../src/catalog/index.ts";
import { migrationsFolder } from "../support/cli.ts";

const DANGEROUS = `ALTER TABLE orders ALTER COLUMN amount TYPE bigint;
ALTER TABLE orders RENAME COLUMN note TO memo;
ALTER TABLE orders ALTER COLUMN customer SET NOT NULL;
ALTER TABLE orders ADD COLUMN region text NOT NULL;
ALTER TABLE orders DROP COLUMN legacy;
`;
const RULES = ["changing-column-type", "renaming-column-or-table", "setting-not-null-without-check", "adding-not-nullable-field", "dropping-column-or-table"];

describe("the linter and expand-contract", () => {
  beforeAll(() => loadParser());

  it("names this mode in the safe way of each rule expand-contract makes safe", () => {
    const analysis = analyzeSql(DANGEROUS, "plain.sql");
    for (const rule of RULES) {
      const finding = analysis.findings.find((candidate) => candidate.rule === rule);
      expect(finding?.safeWay, rule).toContain("-- rookery:expand-contract");
    }
  });

  it("stays quiet about them in an expand-contract file", () => {
    const analysis = analyzeSql(`-- rookery:expand-contract\n-- rookery:backfill region = 'eu'\n${DANGEROUS}`, "two-phase.sql");
    expect(analysis.findings.filter((finding) => RULES.includes(finding.rule))).toEqual([]);
  });

  it("does not flag a volatile default in an expand-contract file (filled in batches), still a serial (added as written)", () => {
    const sql = "ALTER TABLE orders ADD COLUMN ext_id uuid NOT NULL DEFAULT gen_random_uuid();\nALTER TABLE orders ADD COLUMN n bigserial;\n";
    const rule = (text: string) => analyzeSql(text, "f.sql").findings.filter((finding) => finding.rule === "adding-field-with-volatile-default").map((finding) => finding.line);
    expect(rule(sql)).toEqual([1, 2]);
    expect(rule(`-- rookery:expand-contract\n${sql}`)).toEqual([3]);
  });

  it("derives one operation per change, and refuses what cannot run in two phases by line", () => {
    const dir = migrationsFolder({
      "2025_12_01/001_ok.sql": `-- rookery:expand-contract\n-- rookery:backfill region = 'eu'\n${DANGEROUS}`,
      "2025_12_01/002_bad.sql": "-- rookery:expand-contract\nALTER TABLE orders ADD COLUMN n int;\nUPDATE orders SET n = 1;\nALTER TABLE orders ALTER COLUMN n SET DEFAULT 0;\nALTER TABLE orders ALTER COLUMN n TYPE bigint;\n",
    });
    const catalog = readCatalog(dir);
    const ok = catalog.byVersion.get("20251201_000001")!;
    expect(operationsOf(ok, parseStatements(ok.sql)).map((spec) => spec.op)).toEqual(["alter-column-type", "rename-column", "set-not-null", "add-column", "drop-column"]);
    const bad = catalog.byVersion.get("20251201_000002")!;
    expect(() => operationsOf(bad, parseStatements(bad.sql))).toThrow(
      /line 3: UPDATE orders SET n = 1 cannot run in two phases[\s\S]*line 4: ALTER TABLE orders ColumnDefault cannot run in two phases[\s\S]*line 5: column orders\.n is also changed at line 2/,
    );
  });
});
