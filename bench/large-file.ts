/**
 * One large migration (BENCH_LARGE_MB, default 50 MB of INSERTs, two rows each), whole processes of the
 * compiled bin: its peak resident memory against the aim of 10 times the file plus 150 MB, and its time.
 *   apply --all   the file pending: read, parsed a group at a time, sent a piece at a time in one transaction
 *   status        the file applied and unchanged: not parsed again
 *   apply --all   nothing pending: the same
 * Peak memory is the process's VmHWM, read from /proc while it runs (Linux).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ensureFreshBuild } from "../test/support/build.ts";
import { createScratchDatabase } from "./scratch-database.ts";

const MEGABYTES = Number(process.env.BENCH_LARGE_MB ?? 50);
const BIN = path.resolve(import.meta.dirname, "../bin/rookery.mjs");

function writeLargeMigration(dir: string): string {
  const file = path.join(dir, "2025_01_01", "001_seed_large.sql");
  mkdirSync(path.dirname(file), { recursive: true });
  const lines = ["CREATE TABLE bench_seed (id bigint, name text, note text);"];
  let size = 0;
  for (let index = 0; size < MEGABYTES * 1024 * 1024; index += 2) {
    const line = `INSERT INTO bench_seed (id, name, note) VALUES (${index}, 'name ${index}', 'a note about row ${index}'), (${index + 1}, 'name ${index + 1}', 'a note about row ${index + 1}');`;
    lines.push(line);
    size += line.length + 1;
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Peak resident memory (VmHWM) in bytes, sampled every 20 ms until the process exits. */
function peakOf(pid: number, last: { bytes: number }): void {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (match) last.bytes = Math.max(last.bytes, Number(match[1]) * 1024);
  } catch {
    // exited between two samples
  }
}

async function measured(args: string[], env: Record<string, string>): Promise<{ ms: number; peakBytes: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const peak = { bytes: 0 };
  const sampler = setInterval(() => peakOf(child.pid!, peak), 20);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`rookery ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  return { ms: performance.now() - started, peakBytes: peak.bytes };
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`;
}

export async function run(): Promise<void> {
  ensureFreshBuild();
  const root = mkdtempSync(path.join(os.tmpdir(), "rookery-bench-large-"));
  const database = await createScratchDatabase("large");
  try {
    const file = writeLargeMigration(root);
    const fileBytes = statSync(file).size;
    const aim = 10 * fileBytes + 150 * 1048576;
    const env = { DATABASE_URL: database.url, MIGRATIONS_DIR: root, ROOKERY_ACTOR: "bench" };
    console.log(`one migration of ${megabytes(fileBytes)} (INSERTs of two rows); aim: peak RSS under 10 x the file + 150 MB = ${megabytes(aim)}`);
    for (const [label, args] of [
      ["apply --all (pending)", ["apply", "--all"]],
      ["status (applied)", ["status"]],
      ["apply --all (nothing to do)", ["apply", "--all"]],
    ] as const) {
      const { ms, peakBytes } = await measured([...args], env);
      console.log(
        `  ${label.padEnd(28)} ${`${(ms / 1000).toFixed(2)}s`.padStart(7)}  peak ${megabytes(peakBytes).padStart(8)}  ${(peakBytes / fileBytes).toFixed(1)}x the file  ${(peakBytes / aim).toFixed(2)} of the aim, ${peakBytes <= aim ? "within it" : "OVER it"}`,
      );
    }
    console.log(`  machine load average while measuring: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`);
  } finally {
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  }
}
