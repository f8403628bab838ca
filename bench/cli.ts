/**
 * Whole processes, as CI pipelines and DBAs run them: the compiled `bin/rookery.mjs` (dist/ rebuilt
 * first when older than src/) against `node -e 0` and `psql`,
 * interleaved round by round so a slow patch of the shared machine falls on both sides alike.
 *   start-up  `rookery --help` against `node -e 0`                                   goal <= 2x
 *   status    `rookery status` on an up-to-date database of MIGRATIONS migrations    goal <= 250 ms
 *   apply     `rookery apply --all` of MIGRATIONS small migrations into a fresh database, against one
 *             psql session running the same files, each `BEGIN; \i file; INSERT INTO schema_migrations
 *             ...; COMMIT;` (the ledger table created before the clock starts)        goal <= 1.1x
 *   rollback  `rookery rollback --last MIGRATIONS` of all of them, against one psql session running the
 *             same rollback files in reverse, each `BEGIN; \i file; UPDATE schema_migrations ...;
 *             COMMIT;`                                                                goal <= 1.2x
 * Each command runs with its code cache (bin/rookery.mjs), in a folder of the run's own: the first run of a
 * command writes it, the rest use it, as on a DBA's machine or a CI runner that keeps ~/.cache. `--help` and
 * the rollback are also run with ROOKERY_COMPILE_CACHE=off: a first run, or a CI job in a fresh container.
 * BENCH_MIGRATIONS (default 300), BENCH_RUNS (default 5; the quick ones run 3x as often). Wall times are
 * what users wait; where /usr/bin/time exists the CPU time (user + system) is printed beside them, steadier
 * than wall time on a machine shared with other work.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import pg from "pg";
import { DEFAULT_DATABASE_URL } from "../src/config/index.ts";
import { SCHEMA_MIGRATIONS } from "../src/ledger/tables.ts";
import { ensureFreshBuild } from "../test/support/build.ts";
import { median, seconds } from "./measure.ts";

const MIGRATIONS = Number(process.env.BENCH_MIGRATIONS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const QUICK_RUNS = RUNS * 3;
const FOLDER = "2025_01_01";
const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin/rookery.mjs");

const execFileAsync = promisify(execFile);

interface Workload {
  root: string;
  migrationsDir: string;
  applyScript: string;
  rollbackScript: string;
}

function versionOf(index: number): string {
  return `${FOLDER.replaceAll("_", "")}_${String(index).padStart(6, "0")}`;
}

function writeWorkload(): Workload {
  const root = mkdtempSync(path.join(os.tmpdir(), "rookery-bench-cli-"));
  const migrationsDir = path.join(root, "migrations");
  mkdirSync(path.join(migrationsDir, FOLDER), { recursive: true });
  const apply = ["\\set ON_ERROR_STOP on"];
  const rollback = ["\\set ON_ERROR_STOP on"];
  for (let index = 1; index <= MIGRATIONS; index++) {
    const table = `bench_${String(index).padStart(4, "0")}`;
    const base = `${String(index).padStart(3, "0")}_create_${table}.sql`;
    const file = path.join(migrationsDir, FOLDER, base);
    const rollbackFile = path.join(migrationsDir, FOLDER, `rollback_${base}`);
    writeFileSync(file, `CREATE TABLE ${table} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    name text NOT NULL\n);\nCREATE INDEX ${table}_name ON ${table} (name);\n`);
    writeFileSync(rollbackFile, `DROP TABLE ${table};\n`);
    const version = versionOf(index);
    apply.push(
      "BEGIN;",
      `\\i ${file}`,
      `INSERT INTO schema_migrations (version, description, applied_by, checksum) VALUES ('${version}', 'Create ${table}', 'bench', md5('${version}'));`,
      "COMMIT;",
    );
    rollback.splice(1, 0, "BEGIN;", `\\i ${rollbackFile}`, `UPDATE schema_migrations SET status = 'rolled_back' WHERE version = '${version}';`, "COMMIT;");
  }
  const applyScript = path.join(root, "apply.sql");
  const rollbackScript = path.join(root, "rollback.sql");
  writeFileSync(applyScript, `${apply.join("\n")}\n`);
  writeFileSync(rollbackScript, `${rollback.join("\n")}\n`);
  return { root, migrationsDir, applyScript, rollbackScript };
}

function adminUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

function urlOf(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

let databases = 0;
/** A database of this run (a copy of `template` when given), dropped by `dropAll`. */
async function freshDatabase(template?: string): Promise<string> {
  const name = `rookery_bench_cli_${process.pid}_${++databases}`;
  await sql(adminUrl(), `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
  return name;
}

async function dropDatabase(name: string): Promise<void> {
  await sql(adminUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** A process's wall time, and its CPU time (user + system) where /usr/bin/time can tell it: steadier on a busy machine. */
interface Sample {
  wallMs: number;
  cpuMs?: number;
}

const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const CPU_LINE = /^rookery-bench-cpu (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/m;

/** One whole process, timed from spawn to exit; a failure stops the benchmark with its output. */
async function timed(command: string, args: string[], env: Record<string, string> = {}): Promise<Sample> {
  const [file, argv] = TIME ? [TIME, ["-f", "rookery-bench-cpu %U %S", command, ...args]] : [command, args];
  const started = performance.now();
  let stderr: string;
  try {
    ({ stderr } = await execFileAsync(file, argv, { env: { PATH: process.env.PATH ?? "", ...env }, cwd: os.tmpdir(), maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${failed.stderr || failed.stdout || failed.message}`);
  }
  const wallMs = performance.now() - started;
  const cpu = CPU_LINE.exec(stderr);
  return cpu ? { wallMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : { wallMs };
}

function rookeryEnv(workload: Workload, database: string): Record<string, string> {
  return { DATABASE_URL: urlOf(database), MIGRATIONS_DIR: workload.migrationsDir, ROOKERY_ACTOR: "bench" };
}

/** The run's code-cache folder (removed at the end); `off` for the runs without one. */
let compileCache = "off";
const rookery = (args: string[], env: Record<string, string> = {}) => timed(process.execPath, [BIN, ...args], { ROOKERY_COMPILE_CACHE: compileCache, ...env });
const COLD = { ROOKERY_COMPILE_CACHE: "off" };
const psql = (database: string, script: string) => timed("psql", ["-X", "-q", "-d", urlOf(database), "-f", script]);

interface Pair {
  name: string;
  ours: Sample[];
  baseline: Sample[];
  baselineName: string;
}

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : seconds(value);
}

function cpuText(samples: Sample[]): string {
  const cpu = samples.flatMap((sample) => (sample.cpuMs === undefined ? [] : [sample.cpuMs]));
  return cpu.length === samples.length ? ms(median(cpu)) : "-";
}

function report(pair: Pair, goal: string): void {
  const ours = median(pair.ours.map((sample) => sample.wallMs));
  const base = median(pair.baseline.map((sample) => sample.wallMs));
  console.log(
    `  ${pair.name.padEnd(30)} ${ms(ours).padStart(8)} (cpu ${cpuText(pair.ours).padStart(7)})   ${pair.baselineName.padEnd(17)} ${ms(base).padStart(8)} (cpu ${cpuText(pair.baseline).padStart(7)})   ${`${(ours / base).toFixed(2)}x`.padStart(6)}   goal ${goal}`,
  );
}

async function rollbackArgs(): Promise<string[] | undefined> {
  const { stdout } = await execFileAsync(process.execPath, [BIN, "help", "rollback"]);
  if (stdout.includes("--last")) return ["rollback", "--last", String(MIGRATIONS), "--reason", "bench"];
  return undefined;
}

export async function run(): Promise<void> {
  // dist/ older than src/ would measure code that is not the code under test.
  ensureFreshBuild();
  const workload = writeWorkload();
  compileCache = path.join(workload.root, "compile-cache");
  const created: string[] = [];
  try {
    console.log(`whole processes, medians of interleaved runs; ${MIGRATIONS} migrations (create table + index, a DROP TABLE rollback each)`);

    const startup: Pair = { name: "rookery --help", ours: [], baseline: [], baselineName: "node -e 0" };
    const coldStartup: Pair = { name: "rookery --help, no code cache", ours: [], baseline: startup.baseline, baselineName: "node -e 0" };
    for (let round = 0; round < QUICK_RUNS; round++) {
      startup.baseline.push(await timed(process.execPath, ["-e", "0"]));
      startup.ours.push(await rookery(["--help"]));
      coldStartup.ours.push(await rookery(["--help"], COLD));
    }
    report(startup, "<= 2x");
    report(coldStartup, "<= 2x");

    // One database with everything applied: the status runs read it, and copies of it are rolled back.
    const applied = await freshDatabase();
    created.push(applied);
    await rookery(["apply", "--all"], rookeryEnv(workload, applied));
    const status: Pair = { name: `rookery status (${MIGRATIONS} applied)`, ours: [], baseline: [], baselineName: "node -e 0" };
    for (let round = 0; round < QUICK_RUNS; round++) {
      status.baseline.push(await timed(process.execPath, ["-e", "0"]));
      status.ours.push(await rookery(["status"], rookeryEnv(workload, applied)));
    }
    report(status, `<= 250 ms (absolute)`);

    const apply: Pair = { name: `rookery apply --all (${MIGRATIONS})`, ours: [], baseline: [], baselineName: "psql, same files" };
    for (let round = 0; round < RUNS; round++) {
      const floor = await freshDatabase();
      await sql(urlOf(floor), SCHEMA_MIGRATIONS);
      apply.baseline.push(await psql(floor, workload.applyScript));
      await dropDatabase(floor);
      const ours = await freshDatabase();
      apply.ours.push(await rookery(["apply", "--all"], rookeryEnv(workload, ours)));
      await dropDatabase(ours);
    }
    report(apply, "<= 1.1x");

    const args = await rollbackArgs();
    if (!args) {
      console.log("  rookery rollback --last N: not available in this build (issue #10 adds it); not measured");
    } else {
      const rollback: Pair = { name: `rookery ${args.slice(0, 3).join(" ")}`, ours: [], baseline: [], baselineName: "psql, same files" };
      const coldRollback: Pair = { name: `  the same, no code cache`, ours: [], baseline: rollback.baseline, baselineName: "psql, same files" };
      // The template must have no other session while it is copied.
      for (let round = 0; round < RUNS; round++) {
        const floor = await freshDatabase(applied);
        rollback.baseline.push(await psql(floor, workload.rollbackScript));
        await dropDatabase(floor);
        const ours = await freshDatabase(applied);
        rollback.ours.push(await rookery(args, rookeryEnv(workload, ours)));
        await dropDatabase(ours);
        const cold = await freshDatabase(applied);
        coldRollback.ours.push(await rookery(args, { ...rookeryEnv(workload, cold), ...COLD }));
        await dropDatabase(cold);
      }
      report(rollback, "<= 1.2x");
      report(coldRollback, "<= 1.2x");
    }
    console.log(`  machine load average while measuring: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores (busy machines make the runs noisy)`);
  } finally {
    for (const name of created) await dropDatabase(name);
    rmSync(workload.root, { recursive: true, force: true });
  }
}
