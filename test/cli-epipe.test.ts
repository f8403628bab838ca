import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrationsFolder } from "./support/cli.ts";
import { createTestDatabase } from "./support/services.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

describe("rookery's output piped into a reader that stops early (`rookery status | head -1`)", () => {
  it("ends quietly, without an EPIPE stack trace", async () => {
    const url = await createTestDatabase("epipe");
    const files: Record<string, string> = {};
    for (let index = 1; index <= 300; index++) files[`2025_11_01/${String(index).padStart(3, "0")}_t${index}.sql`] = `CREATE TABLE t${index} (id int);\n`;
    const dir = migrationsFolder(files);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/bin.ts"), "status"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, MIGRATIONS_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // Like head -1: read the first chunk, then close the pipe while rookery still writes.
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).not.toMatch(/EPIPE|at .*\(.*\.ts:\d+/);
    expect(code).toBe(0);
  });
});
