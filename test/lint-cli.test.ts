import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery, scratchFolder, writeMigration } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const CLEAN = {
  "2025_11_01/001_create_accounts.sql": "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n",
  "2025_11_01/rollback_001_create_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
};

const BLOCKING_INDEX = {
  "2025_11_02/002_index_account_names.sql": "-- description: look accounts up by name\nCREATE INDEX accounts_name_idx ON accounts (name);\n",
  "2025_11_02/rollback_002_index_account_names.sql": "DROP INDEX IF EXISTS accounts_name_idx;\n",
};

/** Runs lint with the folder as working directory, so printed paths are folder-relative. */
function lint(args: string[], dir: string, env: Record<string, string> = {}) {
  return rookery(["lint", ...args], { MIGRATIONS_DIR: dir, ...env }, dir);
}

describe("rookery lint", () => {
  it("prints findings like a compiler, the safe way below, and exits 1 on an error-level finding", async () => {
    const dir = migrationsFolder({ ...CLEAN, ...BLOCKING_INDEX });
    const run = await lint(["--all"], dir);

    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    const at = lines.findIndex((line) => line.startsWith("2025_11_02/002_index_account_names.sql:2:1 require-concurrent-index-creation "));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(lines[at]).toContain("locks accounts against INSERT, UPDATE and DELETE");
    expect(lines[at + 1]).toMatch(/^ {4}error; safe way: CREATE INDEX CONCURRENTLY/);
    expect(run.stdout).toMatch(/2025_11_01\/001_create_accounts\.sql\s+DDL Add\s+clean/);
    expect(run.stdout).toMatch(/2025_11_02\/002_index_account_names\.sql\s+DDL Add\s+1 error/);
    expect(run.stdout).toContain("2 migration(s) linted: 1 error(s), 0 warning(s), 0 allowed");
  });

  it("prints paths relative to the migrations folder from any working folder, and --all needs no --env with several environments", async () => {
    const dir = migrationsFolder({ ...CLEAN, ...BLOCKING_INDEX });
    const elsewhere = path.join(scratchFolder(), "deep", "down");
    mkdirSync(elsewhere, { recursive: true });
    const config = path.join(scratchFolder(), "rookery.config.yml");
    writeFileSync(config, "environments:\n  staging: { databaseUrl: postgres://127.0.0.1:1/staging }\n  production: { databaseUrl: postgres://127.0.0.1:1/production }\n");

    const run = await rookery(["lint", "--all"], { MIGRATIONS_DIR: dir, ROOKERY_CONFIG: config }, elsewhere);

    expect(run.stderr).not.toMatch(/--env|more than one environment/);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^2025_11_02\/002_index_account_names\.sql:2:1 require-concurrent-index-creation /m);
    expect(run.stdout).not.toContain("../");
  });

  it("exits 0 when only warnings remain, and lists allowed findings with their reason", async () => {
    const dir = migrationsFolder({
      ...CLEAN,
      "2025_11_02/002_add_nickname.sql":
        "-- rookery:allow require-concurrent-index-creation accounts has 30 rows in every environment\nALTER TABLE accounts ADD COLUMN nickname varchar(40);\nCREATE INDEX accounts_nickname_idx ON accounts (nickname);\n",
      "2025_11_02/rollback_002_add_nickname.sql": "ALTER TABLE accounts DROP COLUMN IF EXISTS nickname;\n",
    });
    const run = await lint(["--all"], dir);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^2025_11_02\/002_add_nickname\.sql:2:42 prefer-text-over-varchar /m);
    expect(run.stdout).toMatch(/^ {4}warning; safe way: Use text/m);
    expect(run.stdout).toContain(
      "2025_11_02/002_add_nickname.sql:3:1 require-concurrent-index-creation allowed: accounts has 30 rows in every environment",
    );
    expect(run.stdout).toContain("0 error(s), 1 warning(s), 1 allowed");
  });

  it("lints a lone file outside any migrations folder, with the syntax error's position", async () => {
    const dir = scratchFolder();
    const broken = "UPDATE accounts SET name = 'é' WHER id = 1;";
    writeFileSync(path.join(dir, "draft.sql"), `-- brouillon: données\n${broken}\n`);
    const run = await rookery(["lint", "draft.sql"], {}, dir);

    expect(run.code).toBe(1);
    const column = broken.indexOf("WHER") + 1;
    expect(run.stdout).toContain(`draft.sql:2:${column} syntax-error Postgres cannot parse this file: syntax error at or near "WHER"`);
  });

  it("lints a named migration together with its rollback file", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_create_accounts.sql": CLEAN["2025_11_01/001_create_accounts.sql"],
      "2025_11_01/rollback_001_create_accounts.sql": "DROP TABLE accounts;\n",
    });
    const run = await lint(["2025_11_01/rollback_001_create_accounts.sql"], dir);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^2025_11_01\/rollback_001_create_accounts\.sql:1:1 rollback-drop-without-if-exists /m);
    expect(run.stdout).toContain("1 migration(s) linted");
  });

  it("gives the analyses as JSON for CI", async () => {
    const dir = migrationsFolder({ ...CLEAN, ...BLOCKING_INDEX });
    const run = await lint(["--all", "--json"], dir);

    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, errors: 1, warnings: 0, suppressed: 0 });
    expect(report.analyses.map((analysis: { version: string; type: string }) => [analysis.version, analysis.type])).toEqual([
      ["20251101_000001", "DDL Add"],
      ["20251102_000002", "DDL Add"],
    ]);
    expect(report.analyses[1].findings[0]).toMatchObject({
      rule: "require-concurrent-index-creation",
      severity: "error",
      file: "2025_11_02/002_index_account_names.sql",
      line: 2,
      column: 1,
    });
  });

  it("refuses bad usage with exit 2", async () => {
    const dir = migrationsFolder(CLEAN);
    const both = await lint(["--all", "2025_11_01/001_create_accounts.sql"], dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--all and FILES cannot be combined");

    const missing = await lint(["nope.sql"], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.sql is not a file");

    const folder = await lint(["2025_11_01"], dir);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain("2025_11_01 is not a file");

    expect((await lint(["--everything"], dir)).code).toBe(2);
  });

  describe("without FILES", () => {
    let url: string;
    beforeAll(async () => {
      url = await createTestDatabase("lintpending");
    });

    it("lints only the migrations still pending in the environment's database", async () => {
      const dir = migrationsFolder({
        "2025_11_01/001_create_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, name varchar(80));\n",
        "2025_11_01/rollback_001_create_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
      });
      const applied = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
      expect(applied.code).toBe(0);
      // A live table with rows: an empty one would be no locking hazard.
      await query(url, "INSERT INTO accounts VALUES (1, 'first')");
      for (const [relative, sql] of Object.entries(BLOCKING_INDEX)) writeMigration(dir, relative, sql);

      const run = await lint([], dir, { DATABASE_URL: url });

      expect(run.code).toBe(1);
      expect(run.stdout).toContain("2025_11_02/002_index_account_names.sql:2:1 require-concurrent-index-creation");
      // The applied migration's varchar warning is not re-reported: it is no longer pending.
      expect(run.stdout).not.toContain("001_create_accounts");
      expect(run.stdout).toContain("1 migration(s) linted");
    });
  });
});
