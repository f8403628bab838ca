import { describe, expect, it } from "vitest";
import { applyMigrations, rollbackMigrations } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

const version = (n: number) => `20251101_${String(n).padStart(6, "0")}`;

/** 20 migrations, each adding a table; the rollback of number 6 fails (it drops a table that is not there). */
function history(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let n = 1; n <= 20; n++) {
    const seq = String(n).padStart(3, "0");
    files[`2025_11_01/${seq}_create_t${n}.sql`] = `CREATE TABLE t${n} (id bigint PRIMARY KEY);\n`;
    files[`2025_11_01/rollback_${seq}_create_t${n}.sql`] = n === 6 ? "DROP TABLE not_there;\n" : `DROP TABLE t${n};\n`;
  }
  return files;
}

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ name: string }>(url, "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'");
  return rows.map((row) => row.name).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

describe("rolling back several versions in one run", async () => {
  const url = await createTestDatabase("rollback-many");
  const dir = migrationsFolder(history());
  const environment = testEnvironment(url);

  it("--to over 20 versions: newest first, each in its own transaction, stopping at the failing down file", async () => {
    expect((await applyMigrations(runContext(environment, dir))).applied).toHaveLength(20);
    const ctx = runContext(environment, dir);
    const report = await rollbackMigrations(ctx, { to: version(1), reason: "release 42 is withdrawn" });
    expect(report.rolledBack.map((step) => step.version)).toEqual(Array.from({ length: 14 }, (_, index) => version(20 - index)));
    expect(report.failed?.version).toBe(version(6));
    expect(report.failed?.error).toMatch(/table "not_there" does not exist/);
    expect(report.notRun).toEqual([version(5), version(4), version(3), version(2)]);
    expect(await tables(url)).toEqual(["t1", "t2", "t3", "t4", "t5", "t6"]);
    const rows = new Map((await ledgerRows(url)).map((row) => [row.version, row.status]));
    expect([...rows.values()].filter((status) => status === "rolled_back")).toHaveLength(14);
    expect(rows.get(version(6))).toBe("applied");
    // Each version's transaction moved the current version down; the last one that committed (7) left 6.
    expect(await query(url, "SELECT current_version FROM schema_version WHERE id = 1")).toEqual([{ current_version: version(6) }]);
    expect((await eventsOf(url, version(6))).map((event) => event.event)).toEqual(["applied", "rollback_failed"]);
    expect((await eventsOf(url, version(20))).at(-1)).toMatchObject({ event: "rolled_back", reason: "release 42 is withdrawn" });
    expect(ctx.progress.filter((event) => event.step === "lock")).toHaveLength(1);
  });

  it("--last N from the command line rolls back the N newest applied versions, exit 0", async () => {
    await query(url, "CREATE TABLE not_there (id int)");
    const run = await rookery(["rollback", "--last", "2", "--reason", "two more"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`rolling back 2 version(s), newest first: ${version(6)}, ${version(5)}`);
    expect(run.stdout).toMatch(new RegExp(`^${version(6)}  rolled_back .*\\n${version(5)}  rolled_back`));
    // Number 6's stored script drops not_there (the bug in its down file), so t6 stays.
    expect(await tables(url)).toEqual(["t1", "t2", "t3", "t4", "t6"]);
  });

  it("refuses before anything runs when a version in range has no stored script, naming it", async () => {
    const url2 = await createTestDatabase("rollback-many-noscript");
    const dir2 = migrationsFolder({
      "2025_11_01/001_a.sql": "CREATE TABLE a (id int);\n",
      "2025_11_01/rollback_001_a.sql": "DROP TABLE a;\n",
      "2025_11_01/002_b.sql": "CREATE TABLE b (id int);\n",
      "2025_11_01/003_c.sql": "CREATE TABLE c (id int);\n",
      "2025_11_01/rollback_003_c.sql": "DROP TABLE c;\n",
    });
    await applyMigrations(runContext(testEnvironment(url2), dir2));
    const run = await rookery(["rollback", "--to", version(1), "--reason", "undo"], { DATABASE_URL: url2, MIGRATIONS_DIR: dir2 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${version(2)} has no rollback script stored`);
    expect((await ledgerRows(url2)).map((row) => row.status)).toEqual(["applied", "applied", "applied"]);
    const usage = await rookery(["rollback", "--last", "0", "--reason", "x"], { DATABASE_URL: url2, MIGRATIONS_DIR: dir2 });
    expect(usage.code).toBe(2);
    const both = await rookery(["rollback", version(3), "--last", "1", "--reason", "x"], { DATABASE_URL: url2, MIGRATIONS_DIR: dir2 });
    expect(both.code).toBe(2);
  });

  it("a stored script with a syntax error stops the run at its version, named, after the newer ones rolled back", async () => {
    const url3 = await createTestDatabase("rollback-many-syntax");
    const dir3 = migrationsFolder(Object.fromEntries(Object.entries(history()).filter(([file]) => /\/(rollback_)?00[1-5]_/.test(file))));
    await applyMigrations(runContext(testEnvironment(url3), dir3));
    // Scripts parsed ahead: number 3's is parsed while number 4 runs, and its error must still come at its turn.
    await query(url3, "UPDATE schema_migrations SET rollback_script = 'DROP TABLEX t3;' WHERE version = $1", [version(3)]);
    const ctx = runContext(testEnvironment(url3), dir3);
    const report = await rollbackMigrations(ctx, { last: 5, reason: "undo" });
    expect(report.rolledBack.map((step) => step.version)).toEqual([version(5), version(4)]);
    // Postgres refused the batch of 4..1 whole, and it ran again parsed: each version's start is still told once.
    const told = ctx.progress.filter((event) => event.step === "rollback" && event.message.includes("safety check")).map((event) => event.version);
    expect(told).toEqual([version(5), version(4)]);
    expect(report.failed?.version).toBe(version(3));
    expect(report.failed?.error).toMatch(new RegExp(`stored rollback script of ${version(3)}.*syntax error`));
    expect(report.notRun).toEqual([version(2), version(1)]);
    expect(await tables(url3)).toEqual(["t1", "t2", "t3"]);
  });

  it("a broken stored script of the first version, or one ending its own transaction, is refused before any of it runs, named, not recorded as failed", async () => {
    const url5 = await createTestDatabase("rollback-many-refused");
    const dir5 = migrationsFolder(Object.fromEntries(Object.entries(history()).filter(([file]) => /\/(rollback_)?00[1-4]_/.test(file))));
    await applyMigrations(runContext(testEnvironment(url5), dir5));
    // Neither script holds a keyword that has it parsed first (mayNeedParseToRun): Postgres finds the syntax error.
    await query(url5, "UPDATE schema_migrations SET rollback_script = 'DROP TABLEX t4;' WHERE version = $1", [version(4)]);
    const first = await rollbackMigrations(runContext(testEnvironment(url5), dir5), { last: 4, reason: "undo" });
    expect(first.rolledBack).toEqual([]);
    expect(first.failed?.version).toBe(version(4));
    expect(first.failed?.error).toMatch(new RegExp(`stored rollback script of ${version(4)}:1:\\d+: syntax error at or near "TABLEX"`));
    expect((await eventsOf(url5, version(4))).map((event) => event.event)).toEqual(["applied"]);
    // A script that commits by itself would end the rollback's transaction before the ledger writes: refused at its turn.
    await query(url5, "UPDATE schema_migrations SET rollback_script = 'DROP TABLE t4;' WHERE version = $1", [version(4)]);
    await query(url5, "UPDATE schema_migrations SET rollback_script = 'DROP TABLE t3; COMMIT;' WHERE version = $1", [version(3)]);
    const second = await rollbackMigrations(runContext(testEnvironment(url5), dir5), { last: 4, reason: "undo" });
    expect(second.rolledBack.map((step) => step.version)).toEqual([version(4)]);
    expect(second.failed?.version).toBe(version(3));
    expect(second.failed?.error).toContain("controls its own transaction");
    expect(await tables(url5)).toEqual(["t1", "t2", "t3"]);
    expect((await ledgerRows(url5)).map((row) => row.status)).toEqual(["applied", "applied", "applied", "rolled_back"]);
  });

  // Hexadecimal integers are Postgres 16's: the parser (a newer grammar) reads them, a Postgres 15 server refuses the query whole.
  const serverVersion = Number((await query<{ v: string }>(url, "SELECT current_setting('server_version_num') AS v"))[0]!.v);
  it.runIf(serverVersion < 160000)("a script the parser reads but the server's older grammar refuses fails at its own version, named and recorded, after the newer ones rolled back", async () => {
    const url7 = await createTestDatabase("rollback-many-grammar");
    const dir7 = migrationsFolder(Object.fromEntries(Object.entries(history()).filter(([file]) => /\/(rollback_)?00[1-5]_/.test(file))));
    await applyMigrations(runContext(testEnvironment(url7), dir7));
    await query(url7, "UPDATE schema_migrations SET rollback_script = 'DROP TABLE t3; SELECT 0x10;' WHERE version = $1", [version(3)]);
    const report = await rollbackMigrations(runContext(testEnvironment(url7), dir7), { last: 5, reason: "undo" });
    expect(report.rolledBack.map((step) => step.version)).toEqual([version(5), version(4)]);
    expect(report.failed?.version).toBe(version(3));
    expect(report.failed?.error).toMatch(/trailing junk after numeric literal/);
    expect(report.notRun).toEqual([version(2), version(1)]);
    expect(await tables(url7)).toEqual(["t1", "t2", "t3"]);
    expect((await eventsOf(url7, version(3))).map((event) => event.event)).toEqual(["applied", "rollback_failed"]);
    expect((await eventsOf(url7, version(4))).map((event) => event.event)).toEqual(["applied", "rolled_back"]);
  });

  it("one version's broken stored script is refused by the parser's error, nothing of it run", async () => {
    const url6 = await createTestDatabase("rollback-one-broken");
    const dir6 = migrationsFolder(Object.fromEntries(Object.entries(history()).filter(([file]) => /\/(rollback_)?00[1-2]_/.test(file))));
    await applyMigrations(runContext(testEnvironment(url6), dir6));
    await query(url6, "UPDATE schema_migrations SET rollback_script = 'DROP TABLE t2; DROP TABLEX t1;' WHERE version = $1", [version(2)]);
    const run = await rookery(["rollback", version(2), "--reason", "undo"], { DATABASE_URL: url6, MIGRATIONS_DIR: dir6 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`stored rollback script of ${version(2)}:1:\\d+: syntax error at or near "TABLEX"`));
    expect(await tables(url6)).toEqual(["t1", "t2"]);
    expect((await eventsOf(url6, version(2))).map((event) => event.event)).toEqual(["applied"]);
  });

  it("needs no migrations folder: it runs the scripts stored in the ledger", async () => {
    const url4 = await createTestDatabase("rollback-many-nofolder");
    const dir4 = migrationsFolder(Object.fromEntries(Object.entries(history()).filter(([file]) => /\/(rollback_)?00[1-3]_/.test(file))));
    await applyMigrations(runContext(testEnvironment(url4), dir4));
    const run = await rookery(["rollback", "--last", "2", "--reason", "from a shell without the repository"], { DATABASE_URL: url4, MIGRATIONS_DIR: `${dir4}-gone` });
    expect(run.code, run.stderr).toBe(0);
    expect(await tables(url4)).toEqual(["t1"]);
  });
});
