import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("migration files that would be misread", async () => {
  const url = await createTestDatabase("fault-files");
  const env = { DATABASE_URL: url };

  it("refuses a file that is not UTF-8, naming it and the byte offset, and applies nothing", async () => {
    const dir = migrationsFolder({ "2025_11_01/001_create_cafes.sql": "CREATE TABLE cafes (name text);\n" });
    // Latin-1 "café": 0xE9 alone is not UTF-8. Decoding would have stored "caf\uFFFD" with exit 0.
    const latin1 = Buffer.concat([Buffer.from("INSERT INTO cafes VALUES ('caf"), Buffer.from([0xe9]), Buffer.from("');\n")]);
    writeFileSync(path.join(dir, "2025_11_01/002_insert_cafe.sql"), latin1);

    const run = await rookery(["apply", "--all", "--dir", dir], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2025_11_01/002_insert_cafe.sql: not valid UTF-8 at byte 30 (line 1, byte 0xe9)");
    expect(await query(url, "SELECT to_regclass('public.cafes') AS cafes")).toEqual([{ cafes: null }]);
    expect(await ledgerRows(url).catch(() => [])).toEqual([]);
  });

  it("follows a migration that is a symbolic link, and refuses a broken one instead of skipping it", async () => {
    const elsewhere = scratchFolder();
    writeFileSync(path.join(elsewhere, "shared_gadgets.sql"), "CREATE TABLE gadgets (id bigint PRIMARY KEY);\n");
    const dir = scratchFolder();
    mkdirSync(path.join(dir, "2025_11_02"));
    symlinkSync(path.join(elsewhere, "shared_gadgets.sql"), path.join(dir, "2025_11_02/001_create_gadgets.sql"));

    const run = await rookery(["apply", "--all", "--dir", dir], env);
    expect(run.code).toBe(0);
    expect((await ledgerRows(url)).map((row) => row.version)).toContain("20251102_000001");
    expect(await query(url, "SELECT to_regclass('public.gadgets')::text AS gadgets")).toEqual([{ gadgets: "gadgets" }]);

    symlinkSync(path.join(elsewhere, "gone.sql"), path.join(dir, "2025_11_02/002_create_gizmos.sql"));
    const broken = await rookery(["status", "--dir", dir], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("2025_11_02/002_create_gizmos.sql: a symbolic link to");
    expect(broken.stderr).toContain("which does not exist");
  });

  it("says --dir pointing at a file is not a directory", async () => {
    const dir = migrationsFolder({ "2025_11_01/001_create_cafes.sql": "CREATE TABLE cafes (name text);\n" });
    const run = await rookery(["status", "--dir", path.join(dir, "2025_11_01/001_create_cafes.sql")], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a directory");
    expect(run.stderr).not.toContain("does not exist");
  });
});
