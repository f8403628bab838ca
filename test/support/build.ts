import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** The commands script (COMMANDS in scripts/build.mjs), written by every build, which empties dist/ first. */
const ENTRY = path.join(ROOT, "dist/commands.cjs");

function newestChange(entry: string): number {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** What dist/ is built from: a change to any of them makes it stale. */
function sourcesChangedAt(): number {
  return Math.max(...["src", "scripts", "package-lock.json"].map((entry) => newestChange(path.join(ROOT, entry))));
}

/**
 * The CLI tests run the compiled bin as users do, so dist/ must match src/: rebuilt (esbuild, under
 * a second) when a source is newer than the last build, and left alone otherwise.
 */
export function ensureFreshBuild(): void {
  if (existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= sourcesChangedAt()) return;
  try {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/build.mjs")], { cwd: ROOT, stdio: "pipe" });
  } catch (error) {
    const output = String((error as { stderr?: Buffer }).stderr ?? error);
    throw new Error(`npm run build failed:\n${output}`);
  }
}
