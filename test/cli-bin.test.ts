import { execFile } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { binEnv, migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);

/** npm as a user runs it: from the cache where it can, quiet about audits and funding. */
function npm(args: string[], cwd: string) {
  return run("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    timeout: 150_000,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

describe("bin/rookery.mjs", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("clibin");
  });

  it("applies from a child process, progress on stderr and a clean --json stdout", async () => {
    const dir = migrationsFolder({ "2025_11_01/001_create_spawned.sql": "CREATE TABLE spawned (id int);\n" });
    const result = await rookery(["apply", "--all", "--json"], { DATABASE_URL: url, MIGRATIONS_DIR: dir, ROOKERY_ACTOR: "cli:spawned" });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, applied: [expect.objectContaining({ version: "20251101_000001" })] });
    const ledger = await query(url, "SELECT applied_by FROM schema_migrations WHERE version = '20251101_000001'");
    expect(ledger).toEqual([{ applied_by: "cli:spawned" }]);
  });

  it("exits 2 on a malformed version", async () => {
    const result = await rookery(["apply", "nope"], { DATABASE_URL: url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"nope" is not a migration version');
  });

  it(
    "works from a fresh `npm ci` of the packed tarball: compiled code only, no TypeScript, no tsx",
    async () => {
      const work = scratchFolder();
      // dist/ is fresh (the global setup built it), so packing need not build again.
      await npm(["pack", "--ignore-scripts", "--pack-destination", work], ROOT);
      const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"))!;
      const app = path.join(work, "app");
      await run("mkdir", [app]);
      writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "pipeline", private: true, dependencies: { rookery: `file:../${tarball}` } }));
      await npm(["install", "--package-lock-only"], app);
      await npm(["ci", "--omit=dev"], app);

      const installed = path.join(app, "node_modules/rookery");
      expect(existsSync(path.join(installed, "dist/rookery.cjs"))).toBe(true);
      expect(existsSync(path.join(installed, "src"))).toBe(false);
      expect(existsSync(path.join(app, "node_modules/tsx"))).toBe(false);
      expect(existsSync(path.join(app, "node_modules/typescript"))).toBe(false);

      const dir = migrationsFolder({ "2025_11_01/002_create_packed.sql": "CREATE TABLE packed (id int);\n" });
      const { stdout } = await run(path.join(app, "node_modules/.bin/rookery"), ["apply", "--all", "--json"], {
        cwd: app,
        env: { ...binEnv(), DATABASE_URL: url, MIGRATIONS_DIR: dir, ROOKERY_ACTOR: "cli:packed" },
      });
      expect(JSON.parse(stdout)).toMatchObject({ ok: true, applied: [expect.objectContaining({ version: "20251101_000002" })] });
      expect(await query(url, "SELECT applied_by FROM schema_migrations WHERE version = '20251101_000002'")).toEqual([{ applied_by: "cli:packed" }]);
    },
    300_000,
  );
});
