import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";

const NOWHERE = "postgres://postgres@127.0.0.1:1/never";

describe("a malformed migrations folder", () => {
  it("a file name that fits no layout: exit 1 naming the file, before touching the database", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_good.sql": "CREATE TABLE good (id int);\n",
      "2025_11_01/create_users.sql": "CREATE TABLE users (id int);\n",
    });
    const run = await rookery(["apply", "--all"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2025_11_01/create_users.sql");
    expect(run.stderr).toContain("YYYY_MM_DD/NNN_name.sql");
  });

  it("a rollback file without its migration, and a duplicate version, both named at once (an empty file is no problem)", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_good.sql": "CREATE TABLE good (id int);\n",
      "2025_11_01/rollback_002_gone.sql": "DROP TABLE gone;\n",
      "2025_11_01/003_empty.sql": "-- nothing yet\n",
      "2025_11_01/0003_again.sql": "SELECT 1;\n",
    });
    const run = await rookery(["plan"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2025_11_01/rollback_002_gone.sql");
    expect(run.stderr).toMatch(/003_empty\.sql: version 20251101_000003 is already used by|003_again\.sql: version 20251101_000003/);
    expect(run.stderr).not.toContain("is empty");
  });

  it("a missing migrations folder is a usage error", async () => {
    const run = await rookery(["status"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: "/nonexistent/migrations" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("/nonexistent/migrations does not exist");
  });
});
