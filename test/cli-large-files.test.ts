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
