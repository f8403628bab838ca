import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** Written at the end of a build that emitted (tsconfig.build.json), touched after every check. */
const BUILD_INFO = path.join(ROOT, "dist/.tsbuildinfo");

function newestChange(entry: string): number {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** What dist/ is compiled from: a change to any of them makes it stale. */
function sourcesChangedAt(): number {
  return Math.max(...["src", "tsconfig.json", "tsconfig.build.json"].map((entry) => newestChange(path.join(ROOT, entry))));
}

/**
 * The CLI tests run the compiled bin as users do, so dist/ must match src/: rebuilt (incrementally,
 * a second or two) when a source is newer than the last build, and left alone otherwise.
 */
export function ensureFreshBuild(): void {
  if (existsSync(BUILD_INFO) && statSync(BUILD_INFO).mtimeMs >= sourcesChangedAt()) return;
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "pipe" });
  } catch (error) {
    // tsc still writes the JavaScript when types are wrong; `npm test` runs `tsc --noEmit` for those.
    const output = String((error as { stdout?: Buffer }).stdout ?? error);
    if (!existsSync(path.join(ROOT, "dist/cli/bin.js"))) throw new Error(`npm run build failed:\n${output}`);
    console.warn(`npm run build reported type errors (the tests run the JavaScript it wrote):\n${output}`);
  }
  // An incremental build that found nothing to emit leaves the file as it was: mark dist/ checked now.
  const now = new Date();
  utimesSync(BUILD_INFO, now, now);
}
