import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, scratchFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const BIN = path.resolve(import.meta.dirname, "../bin/rookery.mjs");

/** The real executable, as a user runs it: its exit code and output. */
async function spawnRookery(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      cwd: scratchFolder(),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("bin/rookery.mjs", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("clibin");
  });

  it("applies from a child process, progress on stderr and a clean --json stdout", async () => {
    const dir = migrationsFolder({ "2025_11_01/001_create_spawned.sql": "CREATE TABLE spawned (id int);\n" });
    const run = await spawnRookery(["apply", "--all", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir, ROOKERY_ACTOR: "cli:spawned" });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, applied: [expect.objectContaining({ version: "20251101_000001" })] });
    const ledger = await query(url, "SELECT applied_by FROM schema_migrations WHERE version = '20251101_000001'");
    expect(ledger).toEqual([{ applied_by: "cli:spawned" }]);
  });

  it("exits 2 on a malformed version", async () => {
    const run = await spawnRookery(["apply", "nope"], { DATABASE_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"nope" is not a migration version');
  });
});
