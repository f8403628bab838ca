import { chownSync, cpSync, existsSync, mkdtempSync, symlinkSync, utimesSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { binEnv, migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";

/** Every file under a cache folder, relative to it: `<build>/<command>`, and `<build>/front` (the registry's script). */
function cacheFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The one line of `rookery status` that says what the database holds. */
function counts(stdout: string): string | undefined {
  return /applied \d+, pending \d+, failed \d+/.exec(stdout)?.[0];
}

describe("bin/rookery.mjs keeps a code cache per command", () => {
  let env: Record<string, string>;
  const folders: string[] = [];
  const cacheFolder = () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "rookery-cache-test-"));
    folders.push(folder);
    return folder;
  };
  beforeAll(async () => {
    const url = await createTestDatabase("compilecache");
    const dir = migrationsFolder({ "2025_11_01/001_create_cached.sql": "CREATE TABLE cached (id int);\n" });
    env = { DATABASE_URL: url, MIGRATIONS_DIR: dir };
    expect((await rookery(["apply", "--all"], { ...env, ROOKERY_COMPILE_CACHE: "off" })).code).toBe(0);
  });
  afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it("writes the command's cache on its first run, private to the user, and reads it after", async () => {
    const folder = cacheFolder();
    const first = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder });
    expect(first.code, first.stderr).toBe(0);
    expect(counts(first.stdout)).toBe("applied 1, pending 0, failed 0");
    const files = cacheFiles(folder);
    const build = new RegExp(`^\\d+-\\d+-\\d+-\\d+-${process.version.replaceAll(".", "\\.")}-${process.arch}/`);
    expect(files).toEqual([expect.stringMatching(new RegExp(`${build.source}front$`)), expect.stringMatching(new RegExp(`${build.source}status$`))]);
    const file = path.join(folder, files[1]!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const written = statSync(file).mtimeMs;

    const second = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder });
    expect(second.code, second.stderr).toBe(0);
    expect(counts(second.stdout)).toBe(counts(first.stdout));
    expect(second.stderr).toBe(first.stderr);
    // Accepted, so not written again.
    expect(statSync(file).mtimeMs).toBe(written);
    expect(cacheFiles(folder)).toEqual(files);
  });

  it("leaves one whole cache when several first runs write it at once", async () => {
    const folder = cacheFolder();
    const runs = await Promise.all(Array.from({ length: 4 }, () => rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder })));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(counts(run.stdout)).toBe("applied 1, pending 0, failed 0");
    }
    // No temporary file left behind, and the cache they left is one V8 accepts: the next run does not rewrite it.
    expect(cacheFiles(folder).map((file) => path.basename(file))).toEqual(["front", "status"]);
    const file = path.join(folder, cacheFiles(folder)[1]!);
    const written = statSync(file).mtimeMs;
    expect((await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder })).code).toBe(0);
    expect(statSync(file).mtimeMs).toBe(written);
  });

  it("runs from the source when a cache is corrupt, and replaces it", async () => {
    const folder = cacheFolder();
    expect((await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder })).code).toBe(0);
    const file = path.join(folder, cacheFiles(folder).find((name) => name.endsWith("/status"))!);
    const garbage = Buffer.alloc(statSync(file).size, 0x5a);
    writeFileSync(file, garbage);
    const run = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder });
    expect(run.code, run.stderr).toBe(0);
    expect(counts(run.stdout)).toBe("applied 1, pending 0, failed 0");
    expect(readFileSync(file).equals(garbage)).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)("never reads a cache another user wrote: it is replaced by the user's own", async () => {
    const folder = cacheFolder();
    expect((await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder })).code).toBe(0);
    // A good cache, as V8 would accept it: only its owner is wrong.
    const file = path.join(folder, cacheFiles(folder).find((name) => name.endsWith("/status"))!);
    chownSync(file, 65534, 65534);
    const run = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder });
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(file).uid).toBe(0);
  });

  it("keeps a command's cache only from a run of that command, and none with ROOKERY_COMPILE_CACHE=off", async () => {
    const folder = cacheFolder();
    const names = () => cacheFiles(folder).map((file) => path.basename(file));
    const unknown = await rookery(["nonsense"], { ROOKERY_COMPILE_CACHE: folder });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nonsense"');
    expect(names()).toEqual(["front"]);
    // Help loads the command's file but runs little of it: a cache of that would stay, never completed.
    for (const args of [["help", "status"], ["status", "--help"]]) {
      const help = await rookery(args, { ROOKERY_COMPILE_CACHE: folder });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: rookery status");
    }
    expect(names()).toEqual(["front"]);
    expect((await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: folder })).code).toBe(0);
    expect(names()).toEqual(["front", "status"]);

    const off = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: "off" });
    expect(off.code, off.stderr).toBe(0);
    expect(counts(off.stdout)).toBe("applied 1, pending 0, failed 0");
  });

  it("never runs an earlier build's cache, even where the new script has the same length", async () => {
    const root = path.resolve(import.meta.dirname, "..");
    const copy = cacheFolder();
    cpSync(path.join(root, "bin"), path.join(copy, "bin"), { recursive: true });
    for (const script of ["dist/rookery.cjs", "dist/commands.cjs"]) cpSync(path.join(root, script), path.join(copy, script));
    cpSync(path.join(root, "package.json"), path.join(copy, "package.json"));
    symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
    const folder = cacheFolder();
    const help = () => promisify(execFile)(process.execPath, [path.join(copy, "bin/rookery.mjs"), "--help"], { env: { ...binEnv(), ROOKERY_COMPILE_CACHE: folder } });
    expect((await help()).stdout).toContain("safe Postgres schema migrations");
    expect(cacheFiles(folder)).toHaveLength(1);
    // A rebuild that changes one word and keeps the length, which is all V8 checks of a cache's source.
    const bundle = path.join(copy, "dist/rookery.cjs");
    writeFileSync(bundle, readFileSync(bundle, "utf8").replaceAll("safe Postgres schema migrations", "SAFE Postgres schema migrations"));
    utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
    expect((await help()).stdout).toContain("SAFE Postgres schema migrations");
    expect(cacheFiles(folder)).toHaveLength(2);
  });

  it("runs as usual where the cache cannot be written, and says nothing of it", async () => {
    const blocked = path.join(cacheFolder(), "a-file");
    writeFileSync(blocked, "not a folder\n");
    const run = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: path.join(blocked, "cache") });
    expect(run.code, run.stderr).toBe(0);
    expect(counts(run.stdout)).toBe("applied 1, pending 0, failed 0");
    const plain = await rookery(["status"], { ...env, ROOKERY_COMPILE_CACHE: "off" });
    expect(run.stderr).toBe(plain.stderr);
  });
});
