import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { main } from "../../src/cli/main.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `rookery ARGS` in-process with only the given environment variables (nothing leaks in
 * from the shell running the tests) in a working folder with no config file.
 */
export async function rookery(args: string[], env: Record<string, string>, cwd = scratchFolder()): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { ROOKERY_ACTOR: "cli:tester", ...env },
    cwd,
  });
  return { code, stdout, stderr };
}

/** An empty folder of this test file's own, removed when the file ends. */
export function scratchFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rookery-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
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
