import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";

// Usage errors are found before any database is touched: this URL is never dialled.
const NOWHERE = "postgres://postgres@127.0.0.1:1/never";
const dir = migrationsFolder({ "2025_11_01/001_a.sql": "CREATE TABLE a (id int);\n" });

describe("rookery usage errors exit 2 with a hint", () => {
  it("a malformed version", async () => {
    const run = await rookery(["apply", "2025-11-01"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"2025-11-01" is not a migration version');
    expect(run.stderr).toContain("20251101_000001 (YYYYMMDD_HHMMSS)");
  });

  it("a malformed version in --json mode is a JSON error", async () => {
    const run = await rookery(["rollback", "latest", "--reason", "x", "--json"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    const body = JSON.parse(run.stdout);
    expect(body.ok).toBe(false);
    expect(body.error.message).toContain('"latest" is not a migration version');
    expect(body.error.hint).toMatch(/YYYYMMDD_HHMMSS/);
  });

  it("an unknown option", async () => {
    const run = await rookery(["status", "--verbose"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--verbose");
  });

  it("apply with neither versions nor --all", async () => {
    const run = await rookery(["apply"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--all/);
  });

  it("rollback without a reason", async () => {
    const run = await rookery(["rollback", "20251101_000001"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--reason");
  });

  it("a bad --limit", async () => {
    const run = await rookery(["history", "--limit", "ten"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--limit ten");
  });

  it("an unknown environment names the configured ones", async () => {
    const run = await rookery(["status", "--env", "prod"], { DATABASE_URL: NOWHERE, MIGRATIONS_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown environment "prod"');
    expect(run.stderr).toContain("development");
  });

  it("an invalid config lists every bad key", async () => {
    const cwd = scratchFolder();
    writeFileSync(
      path.join(cwd, "rookery.config.yml"),
      ["environments:", "  staging:", `    databaseUrl: ${NOWHERE}`, "    lockTimeout: soon", "    lockRetries: -3", ""].join("\n"),
    );
    const run = await rookery(["status"], { MIGRATIONS_DIR: dir }, cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("environments.staging.lockTimeout");
    expect(run.stderr).toContain("environments.staging.lockRetries");
  });

  it("an unknown command lists the commands", async () => {
    const run = await rookery(["aply"], { DATABASE_URL: NOWHERE });
    expect(run.code).toBe(2);
    for (const command of ["apply", "rollback", "status", "plan", "history", "verify", "health"]) {
      expect(run.stderr).toContain(`  ${command} `);
    }
  });
});
