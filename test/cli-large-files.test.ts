import { beforeAll, describe, expect, it } from "vitest";
import { checksumOf } from "../src/catalog/checksum.ts";
import { migrationsFolder, rookery, writeMigration } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

interface StatusRow {
  version: string;
  state: string;
  type: string | null;
  syntaxError: { line: number } | null;
}

/**
 * An applied file whose checksum is the recorded one is the text that ran: status, plan and apply do
 * not parse it again, which on a large file cost gigabytes and seconds at every run.
 */
describe("applied, unchanged files are not parsed again", () => {
  let url: string;
  let dir: string;
  // Text the parser refuses: had status or apply parsed it, they would report or refuse it.
  const unparseable = "CREATE TABLE kept (id int);\nSELEC 1;\n";

  beforeAll(async () => {
    url = await createTestDatabase("clilargefiles");
    dir = migrationsFolder({
      "2025_11_01/001_applied_elsewhere.sql": unparseable,
      "2025_11_01/002_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    });
    // Applied by another route (psql, an import) with the file's own checksum.
    expect((await rookery(["status"], { DATABASE_URL: url, MIGRATIONS_DIR: dir })).code).toBe(0);
    await query(
      url,
      "INSERT INTO schema_migrations (version, description, applied_by, checksum, status) VALUES ('20251101_000001', 'Applied elsewhere', 'psql', $1, 'applied')",
      [checksumOf(unparseable)],
    );
  });

  it("status shows the applied file without analysing it, and analyses what is pending", async () => {
    const run = await rookery(["status", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).migrations as StatusRow[];
    expect(rows.map(({ version, state, type, syntaxError }) => ({ version, state, type, syntaxError }))).toEqual([
      { version: "20251101_000001", state: "applied", type: null, syntaxError: null },
      { version: "20251101_000002", state: "pending", type: "DDL Add", syntaxError: null },
    ]);
  });

  it("apply --all runs the pending file and leaves the applied one alone", async () => {
    const run = await rookery(["apply", "--all", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).applied.map((migration: { version: string }) => migration.version)).toEqual(["20251101_000002"]);
    expect(await query(url, "SELECT to_regclass('orders') IS NOT NULL AS created")).toEqual([{ created: true }]);
  });

  it("a file edited after it was applied is drift, and analysed again", async () => {
    writeMigration(dir, "2025_11_01/001_applied_elsewhere.sql", `${unparseable}-- edited\n`);
    const run = await rookery(["status", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    const row = (JSON.parse(run.stdout).migrations as (StatusRow & { drift: boolean })[])[0]!;
    expect(row).toMatchObject({ version: "20251101_000001", drift: true, syntaxError: { line: 2 } });
  });
});

/** A file over the parser's group size (256 KiB), every INSERT holding a `;` at a line end inside its string. */
function largeFile(): { sql: string; inserts: number; functionLine: number; alterLine: number } {
  const lines = ["CREATE TABLE seed (id int, note text);"];
  let inserts = 0;
  for (let size = 0; size < 1_300_000; inserts++) {
    const line = `INSERT INTO seed VALUES (${inserts}, 'row ${inserts};\n  continued');`;
    lines.push(line);
    size += line.length + 1;
  }
  const before = lines.join("\n").split("\n").length;
  lines.push("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.note := 'touched;';\n  RETURN NEW;\nEND;\n$$;");
  lines.push("ALTER TABLE accounts ADD COLUMN flag boolean NOT NULL;");
  return { sql: `${lines.join("\n")}\n`, inserts, functionLine: before + 1, alterLine: before + 7 };
}

describe("large files are parsed a group of statements at a time", () => {
  it("every statement is found, at its line, and findings point at the right column", async () => {
    const { sql, inserts, functionLine, alterLine } = largeFile();
    const dir = migrationsFolder({ "2025_11_01/001_seed.sql": sql });
    const run = await rookery(["lint", "2025_11_01/001_seed.sql", "--json"], { MIGRATIONS_DIR: dir }, dir);
    const analysis = JSON.parse(run.stdout).analyses[0] as { statements: { kind: string; line: number }[]; findings: { rule: string; line: number; column: number }[] };
    expect(analysis.statements).toHaveLength(inserts + 3);
    expect(analysis.statements.at(-2)).toMatchObject({ kind: "CreateFunctionStmt", line: functionLine });
    expect(analysis.statements.at(-1)).toMatchObject({ kind: "AlterTableStmt", line: alterLine });
    // Two lines per INSERT (the string holds a line break): the last one starts where it should.
    expect(analysis.statements.at(-3)).toMatchObject({ kind: "InsertStmt", line: 2 + 2 * (inserts - 1) });
    const notNull = analysis.findings.filter((finding) => finding.rule === "adding-not-nullable-field");
    expect(notNull.map(({ rule, line, column }) => ({ rule, line, column }))).toEqual([
      { rule: "adding-not-nullable-field", line: alterLine, column: 33 },
    ]);
  });

  it("a statement larger than the parser is given is refused naming the file, line and limit; nothing runs", async () => {
    const url = await createTestDatabase("clihugestatement");
    const rows = Array.from({ length: 120_000 }, (_, index) => `(${index}, 'a row of seed data, number ${index}')`);
    const dir = migrationsFolder({
      "2025_11_01/001_huge_insert.sql": `CREATE TABLE huge (id int, note text);\n\nINSERT INTO huge VALUES\n${rows.join(",\n")};\n`,
    });
    const run = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2025_11_01/001_huge_insert.sql:3:1: no statement after this point ends");
    expect(run.stderr).toContain("statements of up to 4 MiB");
    expect(run.stderr).toContain("docs/migration-files.md");
    expect(run.stderr).not.toContain("Fix the SQL");
    expect(await query(url, "SELECT to_regclass('huge') IS NULL AS absent, (SELECT count(*)::int FROM schema_migrations) AS rows")).toEqual([{ absent: true, rows: 0 }]);
  });
});

/**
 * Applying a pending data file stays within memory of the order of the file (docs/failure-modes.md,
 * Large files): 10 MB of INSERTs applies in a process whose V8 heap is capped at 128 MB. It was parsed
 * again with every tree for the policy check, and sent as one query; that aborted at such a cap.
 */
/** INSERTs of two rows each into `seed`, created first, to about `bytes` of text; `rows` is how many they insert. */
function seedInserts(bytes: number): { sql: string; rows: number } {
  const lines = ["CREATE TABLE seed (id bigint, name text, note text);"];
  let rows = 0;
  for (let size = 0; size < bytes; rows += 2) {
    const line = `INSERT INTO seed (id, name, note) VALUES (${rows}, 'name ${rows}', 'a note about row ${rows}'), (${rows + 1}, 'name ${rows + 1}', 'a note about row ${rows + 1}');`;
    lines.push(line);
    size += line.length + 1;
  }
  return { sql: `${lines.join("\n")}\n`, rows };
}

describe("a pending large file is applied in bounded memory", () => {
  it("10 MB of INSERTs applies under a 128 MB heap, its rows and its ledger row there", async () => {
    const url = await createTestDatabase("clilargeapply");
    const { sql, rows } = seedInserts(10 * 1024 * 1024);
    const dir = migrationsFolder({ "2025_11_01/001_seed.sql": sql });
    const run = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir, NODE_OPTIONS: "--max-old-space-size=128" });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stdout).toContain("20251101_000001  applied");
    expect(await query(url, "SELECT count(*)::int AS rows, max(id)::int AS last FROM seed")).toEqual([{ rows, last: rows - 1 }]);
    expect(await query(url, "SELECT status, checksum FROM schema_migrations WHERE version = '20251101_000001'")).toEqual([{ status: "applied", checksum: checksumOf(sql) }]);
  });

  it("a file sent in pieces is still one transaction: a failure in a later piece names its line and leaves nothing", async () => {
    const url = await createTestDatabase("clilargefail");
    const { sql } = seedInserts(3 * 1024 * 1024);
    const failingLine = sql.split("\n").length;
    const dir = migrationsFolder({ "2025_11_01/001_seed.sql": `${sql}INSERT INTO missing_table VALUES (1);\n` });
    const run = await rookery(["apply", "--all"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`2025_11_01/001_seed.sql:${failingLine}: relation "missing_table" does not exist`);
    expect(await query(url, "SELECT to_regclass('seed') IS NULL AS absent, (SELECT status FROM schema_migrations) AS status")).toEqual([{ absent: true, status: "failed" }]);
  });
});
