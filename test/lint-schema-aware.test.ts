import { beforeAll, describe, expect, it } from "vitest";
import { analyzeCatalog, analyzeSql, loadParser } from "../src/analysis/index.ts";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery, writeMigration } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

beforeAll(() => loadParser());

/** Whether `ALTER COLUMN c TYPE <to>` is flagged on a column an earlier migration created as `<from>`. */
function flagged(from: string, to: string): boolean {
  const dir = migrationsFolder({
    "2025_11_01/001_create.sql": `CREATE TABLE t (id bigint PRIMARY KEY, c ${from});\n`,
    "2025_11_01/002_change.sql": `ALTER TABLE t ALTER COLUMN c TYPE ${to};\n`,
  });
  const catalog = readCatalog(dir);
  // Without a database the table counts as live: only the type change itself decides.
  const applied = new Set(catalog.migrations.map((migration) => migration.version));
  const analysis = analyzeCatalog(catalog, [catalog.migrations[1]!], { applied }).get("20251101_000002")!;
  return analysis.findings.some((finding) => finding.rule === "changing-column-type");
}

describe("changing-column-type knows the column's type from the earlier migrations", () => {
  // [from, to, rewrites the table]
  const cases: [string, string, boolean][] = [
    ["varchar(255)", "varchar(255)", false],
    ["varchar(255)", "character varying(255)", false],
    ["integer", "int4", false],
    ["varchar(50)", "varchar(100)", false],
    ["varchar(50)", "varchar", false],
    ["varchar(50)", "text", false],
    ["text", "varchar", false],
    ["numeric(10,2)", "numeric(12,2)", false],
    ["numeric(10,2)", "numeric", false],
    ["timestamp(3)", "timestamp(6)", false],
    ["timestamptz(0)", "timestamptz", false],
    ["interval(0)", "interval(3)", false],
    ["time(0)", "time(6)", false],
    ["bit varying(8)", "bit varying(16)", false],
    ["bit(8)", "bit varying", false],
    ["cidr", "inet", false],
    ["xml", "text", false],
    ["text[]", "text[]", false],
    ["varchar(100)", "varchar(50)", true],
    ["text", "varchar(20)", true],
    ["numeric(10,2)", "numeric(12,3)", true],
    ["numeric(10,2)", "numeric(8,2)", true],
    ["timestamp(6)", "timestamp(3)", true],
    ["timestamp", "timestamptz", true],
    ["integer", "bigint", true],
    ["char(36)", "varchar(36)", true],
    ["text", "text[]", true],
    ["inet", "cidr", true],
  ];
  it.each(cases)("%s -> %s rewrites: %s", (from, to, rewrites) => {
    expect(flagged(from, to)).toBe(rewrites);
  });

  it("a USING that changes the contents rewrites; USING the column itself does not", () => {
    expect(flagged("varchar(50)", "text USING lower(c)")).toBe(true);
    expect(flagged("varchar(50)", "text USING c::text")).toBe(false);
  });

  it("follows renames and drops, and stays cautious about a table no migration created", () => {
    const dir = migrationsFolder({
      "2025_11_01/001_create.sql": "CREATE TABLE t (id bigint PRIMARY KEY, c varchar(10));\n",
      "2025_11_01/002_rename.sql": "ALTER TABLE t RENAME COLUMN c TO d;\nALTER TABLE t RENAME TO u;\n",
      "2025_11_01/003_widen.sql": "ALTER TABLE u ALTER COLUMN d TYPE varchar(20);\nALTER TABLE made_by_hand ALTER COLUMN x TYPE varchar(20);\n",
    });
    const catalog = readCatalog(dir);
    const applied = new Set(catalog.migrations.map((migration) => migration.version));
    const findings = analyzeCatalog(catalog, [catalog.migrations[2]!], { applied }).get("20251101_000003")!.findings;
    expect(findings.filter((finding) => finding.rule === "changing-column-type").map((finding) => finding.line)).toEqual([2]);
  });
});

describe("require-concurrent-index-deletion knows which table an earlier migration indexed", () => {
  it("dropping an index of a table the same run created locks nobody; of a live table it does", () => {
    const dir = migrationsFolder({
      "2025_11_01/001_create.sql": "CREATE TABLE t (id bigint PRIMARY KEY, a text);\nCREATE INDEX t_a ON t (a);\n",
      "2025_11_01/002_drop_index.sql": "DROP INDEX t_a;\n",
    });
    const catalog = readCatalog(dir);
    const rules = (applied: Set<string> | undefined) =>
      analyzeCatalog(catalog, [catalog.migrations[1]!], applied ? { applied } : {}).get("20251101_000002")!.findings.map((finding) => finding.rule);
    expect(rules(undefined)).not.toContain("require-concurrent-index-deletion");
    expect(rules(new Set(["20251101_000001"]))).toContain("require-concurrent-index-deletion");
  });
});

describe("version-aware: a constant default is safe since Postgres 11", () => {
  const sql = "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\n";
  const rules = (postgresVersion?: number) =>
    analyzeSql(sql, "001_plan.sql", postgresVersion === undefined ? {} : { postgresVersion }).findings.map((finding) => finding.rule);

  it("flags the constant default for a target before 11 and stays quiet from 11 on (and when unknown)", () => {
    expect(rules(10)).toContain("adding-field-with-volatile-default");
    expect(rules(11)).not.toContain("adding-field-with-volatile-default");
    expect(rules(15)).not.toContain("adding-field-with-volatile-default");
    expect(rules()).not.toContain("adding-field-with-volatile-default");
  });

  it("takes the version from the environment's postgresVersion key without a database", async () => {
    const dir = migrationsFolder({ "2025_11_01/001_plan.sql": sql });
    const config = configFile({ legacy: { databaseUrl: "postgres://postgres@127.0.0.1:1/never", postgresVersion: 10 } });
    const run = await rookery(["lint", "--all"], { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir });
    expect(run.stdout).toContain("Postgres 10 writes any default into every existing row");
    expect(run.code).toBe(1);
  });
});

describe("lint with the live database", async () => {
  const url = await createTestDatabase("lint-live");
  const dir = migrationsFolder({
    "2025_11_01/001_create_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY, email text);\nCREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz);\n",
    "2025_11_01/rollback_001_create_leads.sql": "DROP TABLE IF EXISTS audit;\nDROP TABLE IF EXISTS leads;\n",
  });
  const environment = testEnvironment(url);
  await applyMigrations(runContext(environment, dir));
  await query(url, "INSERT INTO leads SELECT g, 'x' || g FROM generate_series(1, 5000) g; ANALYZE leads");
  writeMigration(dir, "2025_11_02/001_create_tags.sql", "CREATE TABLE tags (id bigint PRIMARY KEY, lead_id bigint);\n");
  writeMigration(dir, "2025_11_02/rollback_001_create_tags.sql", "DROP TABLE IF EXISTS tags;\n");
  writeMigration(
    dir,
    "2025_11_02/002_indexes.sql",
    "CREATE INDEX leads_email ON leads (email);\nCREATE INDEX tags_lead ON tags (lead_id);\nCREATE INDEX audit_at ON audit (at);\n",
  );
  writeMigration(dir, "2025_11_02/rollback_002_indexes.sql", "DROP INDEX IF EXISTS leads_email;\nDROP INDEX IF EXISTS tags_lead;\nDROP INDEX IF EXISTS audit_at;\n");

  it("flags only the live, non-empty table, with its size; a table made earlier in the run and an empty live one lock nobody", async () => {
    const run = await rookery(["lint", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    const report = JSON.parse(run.stdout);
    const findings = report.analyses.flatMap((analysis: { findings: { rule: string; line: number; message: string }[] }) => analysis.findings);
    const locking = findings.filter((finding: { rule: string }) => finding.rule === "require-concurrent-index-creation");
    expect(locking.map((finding: { line: number }) => finding.line)).toEqual([1]);
    expect(locking[0].message).toMatch(/^leads: 5\.0 k rows, \d+ kB: building this index locks leads/);
    expect(run.code).toBe(1);
  });

  it("without a database every earlier table counts as live", async () => {
    const run = await rookery(["lint", "--all", "--json"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/never", MIGRATIONS_DIR: dir });
    const report = JSON.parse(run.stdout);
    const lines = report.analyses
      .flatMap((analysis: { findings: { rule: string; line: number }[] }) => analysis.findings)
      .filter((finding: { rule: string }) => finding.rule === "require-concurrent-index-creation")
      .map((finding: { line: number }) => finding.line);
    expect(lines).toEqual([1, 2, 3]);
  });
});
