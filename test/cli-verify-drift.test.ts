import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery, writeMigration } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";

describe("rookery verify", () => {
  let url: string;
  let crlfUrl: string;
  beforeAll(async () => {
    [url, crlfUrl] = await Promise.all([createTestDatabase("cliverify"), createTestDatabase("cliverifycrlf")]);
  });

  it("passes after a clean apply and fails with exit 1 once an applied file is edited", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_create_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n",
      "2025_11_01/002_create_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
    });
    const env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
    expect((await rookery(["apply", "--all"], env)).code).toBe(0);

    const clean = await rookery(["verify"], env);
    expect(clean.stdout).not.toMatch(/^FAIL/m);
    expect(clean.code).toBe(0);

    writeMigration(dir, "2025_11_01/001_create_notes.sql", "CREATE TABLE notes (id bigint PRIMARY KEY, body text, extra int);\n");

    const drifted = await rookery(["verify"], env);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/^FAIL/m);
    expect(drifted.stdout).toContain("20251101_000001");
    expect(drifted.stdout).toContain("verification FAILED");

    const json = await rookery(["verify", "--json"], env);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout);
    expect(body.ok).toBe(false);
    expect(body.checks.some((check: { status: string; details: string }) => check.status === "FAIL" && check.details.includes("20251101_000001"))).toBe(true);

    const status = JSON.parse((await rookery(["status", "--json"], env)).stdout);
    expect(status.counts.drift).toBe(1);
    expect(status.migrations.find((m: { version: string }) => m.version === "20251101_000001").drift).toBe(true);
    expect(status.migrations.find((m: { version: string }) => m.version === "20251101_000002").drift).toBe(false);
  });

  it("a Windows checkout of the same file (CRLF) is not drift", async () => {
    const dir = migrationsFolder({ "2025_11_05/001_create_crlf.sql": "CREATE TABLE crlf (id int);\nCOMMENT ON TABLE crlf IS 'x';\n" });
    const env = { DATABASE_URL: crlfUrl, MIGRATIONS_DIR: dir };
    expect((await rookery(["apply", "--all"], env)).code).toBe(0);
    writeMigration(dir, "2025_11_05/001_create_crlf.sql", "CREATE TABLE crlf (id int);\r\nCOMMENT ON TABLE crlf IS 'x';\r\n");
    const run = await rookery(["verify", "20251105_000001"], env);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.code).toBe(0);
  });
});
