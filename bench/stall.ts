/**
 * The stall test: application probes (small reads and writes on one table, from a few connections)
 * run while a migration's ALTER TABLE on that table waits behind a transaction that holds the table
 * for 5 s. A waiting ALTER queues every later query on the table behind it, so the probes' max latency
 * shows how long the application stalls:
 *   rookery  applyMigrations with lock_timeout and bounded retries (the lock wait gives up, retries)
 *   psql     `psql -f` on the same file: the ALTER waits, and the probes with it, until the blocker ends
 * Each runs in a fresh database. Bounded: about 2 x (blocker + a few seconds).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { readCatalog } from "../src/catalog/index.ts";
import { DEFAULT_DATABASE_URL, EnvironmentSchema } from "../src/config/index.ts";
import { pgToolConnection, runPgTool } from "../src/runner/backup.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { startProbes } from "./probes.ts";

const BLOCKER_MS = 5000;
const LOCK_TIMEOUT_MS = Number(process.env.BENCH_STALL_LOCK_TIMEOUT_MS ?? 1000);
const PROBE_CLIENTS = 4;
const MARGIN_MS = 100;

const MIGRATION = "ALTER TABLE probe_items ADD COLUMN note text;\n";

function databaseUrl(name: string): string {
  const url = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `rookery_bench_stall_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE probe_items (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
                      INSERT INTO probe_items (id) SELECT generate_series(1, 100);`);
  await client.end();
  return { name, url };
}

/** Probe clients looping on short queries until told to stop; returns every query's latency. */
function probeStall(url: string): { stop(): Promise<number[]> } {
  return startProbes(url, {
    clients: PROBE_CLIENTS,
    pauseMs: 5,
    query: (client, i, index) => {
      const id = ((i * PROBE_CLIENTS + index) % 100) + 1;
      return i % 2 === 0 ? client.query("SELECT n FROM probe_items WHERE id = $1", [id]) : client.query("UPDATE probe_items SET n = n + 1 WHERE id = $1", [id]);
    },
  });
}

/** Holds the table (a read in an open transaction) for BLOCKER_MS, as a long report query would. */
async function holdTable(url: string): Promise<{ released: Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: "blocker" });
  await client.connect();
  await client.query("BEGIN");
  await client.query("SELECT count(*) FROM probe_items");
  // Wrapped: an async function returning a bare promise would wait for it.
  const released = (async () => {
    await new Promise((resolve) => setTimeout(resolve, BLOCKER_MS));
    await client.query("COMMIT");
    await client.end();
  })();
  return { released };
}

async function scenario(apply: (url: string, migrationsDir: string, file: string) => Promise<void>): Promise<number> {
  const database = await freshDatabase();
  const root = mkdtempSync(path.join(os.tmpdir(), "rookery-stall-"));
  const folder = path.join(root, "2025_01_01");
  mkdirSync(folder);
  const file = path.join(folder, "001_add_note.sql");
  writeFileSync(file, MIGRATION);
  try {
    const probes = probeStall(database.url);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const blocker = await holdTable(database.url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await apply(database.url, root, file);
    await blocker.released;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const latencies = await probes.stop();
    return Math.max(...latencies);
  } finally {
    rmSync(root, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
  }
}

async function withRookery(url: string, migrationsDir: string): Promise<void> {
  const environment = { ...EnvironmentSchema.parse({ databaseUrl: url, lockTimeout: LOCK_TIMEOUT_MS, lockRetries: 10 }), name: "bench" };
  const report = await applyMigrations({ environment, catalog: readCatalog(migrationsDir), actor: "bench:stall" });
  if (report.failed) throw new Error(`rookery did not apply the migration: ${report.failed.error}`);
}

async function withPsql(url: string, _dir: string, file: string): Promise<void> {
  const { dbname, env } = pgToolConnection(url);
  await runPgTool("psql", ["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", `--file=${file}`, `--dbname=${dbname}`], env);
}

export async function run(): Promise<void> {
  const rookeryMax = await scenario(withRookery);
  const psqlMax = await scenario(withPsql);
  const bound = LOCK_TIMEOUT_MS + MARGIN_MS;
  console.log(`blocker holds the table ${BLOCKER_MS} ms; ${PROBE_CLIENTS} probe clients; rookery lock_timeout ${LOCK_TIMEOUT_MS} ms`);
  console.log(`probe max latency  rookery ${rookeryMax.toFixed(0)} ms   psql -f ${psqlMax.toFixed(0)} ms   ratio ${(rookeryMax / psqlMax).toFixed(2)}x`);
  console.log(`rookery within lock timeout + ${MARGIN_MS} ms (${bound} ms): ${rookeryMax <= bound ? "yes" : "NO"}`);
}
