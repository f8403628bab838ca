import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The executable users run: bin/rookery.mjs on the compiled dist/ (built by the global setup when stale). */
export const ROOKERY_BIN = path.resolve(import.meta.dirname, "../../bin/rookery.mjs");

/** What every child `rookery` process gets besides its own settings: PATH, and the run's code-cache folder. */
export function binEnv(): Record<string, string | undefined> {
  return { PATH: process.env.PATH ?? "", ROOKERY_COMPILE_CACHE: process.env.ROOKERY_COMPILE_CACHE };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `rookery ARGS` as a child process, as a user or a pipeline does, with only PATH (for pg_dump
 * and psql) and the given environment variables (nothing leaks in from the shell running the tests),
 * in a working folder with no config file. Its standard input is `input`, then closed.
 */
export function rookery(args: string[], env: Record<string, string>, cwd = scratchFolder(), input = ""): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [ROOKERY_BIN, ...args],
      { env: { ...binEnv(), ROOKERY_ACTOR: "cli:tester", ...env }, cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

const scratchFolders: string[] = [];

/**
 * An empty folder of this test file's own, removed when the file ends (by test/support/per-file.ts: an
 * afterAll registered from inside a test never runs, and 2,000 folders a run were left in /tmp that way).
 */
export function scratchFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rookery-cli-"));
  scratchFolders.push(dir);
  return dir;
}

/** Removes every scratch folder made so far (each test file's last hook). */
export function removeScratchFolders(): void {
  for (const dir of scratchFolders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A migrations folder holding these files (`2025_11_01/001_x.sql` -> SQL). */
export function migrationsFolder(files: Record<string, string>): string {
  const dir = scratchFolder();
  for (const [relative, sql] of Object.entries(files)) writeMigration(dir, relative, sql);
  return dir;
}

export function writeMigration(dir: string, relative: string, sql: string): void {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, sql);
}
