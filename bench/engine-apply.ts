/**
 * Applying 500 small migrations into a fresh database, three ways, in the same run:
 *   rookery         readCatalog + applyMigrations (what `rookery apply --all` does)
 *   psql floor      one psql session, per file: BEGIN; \i file; INSERT INTO schema_migrations ...; COMMIT;
 *                   (the document's schema_migrations, created before the clock starts)
 *   node-pg-migrate its programmatic runner on the same SQL, one transaction per migration
 * Each is measured RUNS times, each time into a fresh database; the median and the best run are
 * reported with their ratios to the floor's median and best (on a shared, busy machine the best
 * run is the steadier estimate of the work itself).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import pg from "pg";
import { readCatalog } from "../src/catalog/index.ts";
import { DEFAULT_DATABASE_URL, EnvironmentSchema, type Environment } from "../src/config/index.ts";
import { SCHEMA_MIGRATIONS } from "../src/ledger/tables.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { median, seconds } from "./measure.ts";

const MIGRATIONS = Number(process.env.BENCH_MIGRATIONS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FOLDER = "2025_01_01";

const execFileAsync = promisify(execFile);

interface Workload {
  root: string;
  /** Rookery's layout: migrations/2025_01_01/NNN_name.sql. */
  rookeryDir: string;
  /** node-pg-migrate's layout: one flat folder, ordered by file name. */
  flatDir: string;
  /** The psql script of the floor. */
  floorScript: string;
}

function migrationSql(index: number): string {
  const table = `bench_${String(index).padStart(4, "0")}`;
  return `CREATE TABLE ${table} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ${table}_name ON ${table} (name);
`;
}

function writeWorkload(): Workload {
  const root = mkdtempSync(path.join(os.tmpdir(), "rookery-bench-"));
  const rookeryDir = path.join(root, "migrations");
  const flatDir = path.join(root, "node-pg-migrate");
  mkdirSync(path.join(rookeryDir, FOLDER), { recursive: true });
  mkdirSync(flatDir);
  const floor: string[] = ["\\set ON_ERROR_STOP on"];
  for (let index = 1; index <= MIGRATIONS; index++) {
    const sequence = String(index).padStart(3, "0");
    const file = path.join(rookeryDir, FOLDER, `${sequence}_create_bench_${index}.sql`);
    const sql = migrationSql(index);
    writeFileSync(file, sql);
    writeFileSync(path.join(flatDir, `${String(index).padStart(6, "0")}_create_bench_${index}.sql`), sql);
    const version = `${FOLDER.replaceAll("_", "")}_${String(index).padStart(6, "0")}`;
    floor.push(
      "BEGIN;",
      `\\i ${file}`,
      `INSERT INTO schema_migrations (version, description, applied_by, checksum) VALUES ('${version}', 'Create bench ${index}', 'bench', md5('${version}'));`,
      "COMMIT;",
    );
  }
  const floorScript = path.join(root, "floor.sql");
  writeFileSync(floorScript, `${floor.join("\n")}\n`);
  return { root, rookeryDir, flatDir, floorScript };
}

async function withDatabase(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function adminUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

async function admin(sql: string): Promise<void> {
  await withDatabase(adminUrl(), sql);
}

/** A fresh database for one measured run, dropped afterwards; the clock covers only `work`. */
async function timedInFreshDatabase(label: string, prepare: (url: string) => Promise<void>, work: (url: string) => Promise<void>): Promise<number> {
  const name = `rookery_bench_${label}_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  try {
    await prepare(url.toString());
    const started = performance.now();
    await work(url.toString());
    return performance.now() - started;
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function rookery(workload: Workload, url: string): Promise<void> {
  const environment: Environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "bench" };
  const catalog = readCatalog(workload.rookeryDir);
  const report = await applyMigrations({ environment, catalog, actor: "bench" });
  if (report.failed || report.applied.length !== MIGRATIONS) {
    throw new Error(`rookery applied ${report.applied.length}/${MIGRATIONS}: ${report.failed?.error ?? ""}`);
  }
}

async function psqlFloor(workload: Workload, url: string): Promise<void> {
  await execFileAsync("psql", ["-X", "-q", "-d", url, "-f", workload.floorScript], { maxBuffer: 64 * 1024 * 1024 });
}

async function nodePgMigrate(workload: Workload, url: string): Promise<void> {
  const { runner } = await import("node-pg-migrate");
  const applied = await runner({
    databaseUrl: url,
    dir: workload.flatDir,
    direction: "up",
    migrationsTable: "pgmigrations",
    count: Infinity,
    singleTransaction: false,
    checkOrder: false,
    log: () => {},
  });
  if (applied.length !== MIGRATIONS) throw new Error(`node-pg-migrate applied ${applied.length}/${MIGRATIONS}`);
}

interface Contender {
  name: string;
  prepare(url: string): Promise<void>;
  work(workload: Workload, url: string): Promise<void>;
}

const nothing = async () => {};

const CONTENDERS: Contender[] = [
  { name: "psql floor", prepare: (url) => withDatabase(url, SCHEMA_MIGRATIONS), work: psqlFloor },
  { name: "rookery", prepare: nothing, work: rookery },
  { name: "node-pg-migrate", prepare: nothing, work: nodePgMigrate },
];

export async function run(): Promise<void> {
  const workload = writeWorkload();
  try {
    const times = new Map<string, number[]>(CONTENDERS.map((contender) => [contender.name, []]));
    // Interleaved, so a slow patch of the machine falls on every contender alike.
    for (let round = 0; round < RUNS; round++) {
      for (const contender of CONTENDERS) {
        const label = contender.name.replace(/[^a-z]/g, "");
        const ms = await timedInFreshDatabase(label, contender.prepare, (url) => contender.work(workload, url));
        times.get(contender.name)!.push(ms);
      }
    }
    const floor = median(times.get("psql floor")!);
    const floorBest = Math.min(...times.get("psql floor")!);
    console.log(`${MIGRATIONS} migrations (create table + index), ${RUNS} interleaved runs each, fresh database each run`);
    console.log(`  ${"".padEnd(16)} ${"median".padStart(7)}  ${"ratio".padStart(6)}  ${"best".padStart(7)}  ${"ratio".padStart(6)}  runs`);
    for (const contender of CONTENDERS) {
      const all = times.get(contender.name)!;
      const ms = median(all);
      const best = Math.min(...all);
      console.log(
        `  ${contender.name.padEnd(16)} ${seconds(ms).padStart(7)}  ${`${(ms / floor).toFixed(2)}x`.padStart(6)}  ` +
          `${seconds(best).padStart(7)}  ${`${(best / floorBest).toFixed(2)}x`.padStart(6)}  ${all.map(seconds).join(" ")}`,
      );
    }
    console.log(`  machine load average while measuring: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores (busy machines make the runs noisy)`);
  } finally {
    rmSync(workload.root, { recursive: true, force: true });
  }
}
