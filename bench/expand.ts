/**
 * Expand-contract on a 1,000,000-row table (`integer` -> `bigint`) while a probe workload reads and
 * writes it:
 *   backfill   rows/s of expand's batched backfill (BENCH_EXPAND_BATCH, default 1000 rows a batch),
 *              against the floor: the same batches as a plain `UPDATE ... WHERE id BETWEEN` loop run
 *              by one psql session on an identical table with the same new column and no trigger,
 *              under the same probe workload;
 *   triggers   the write cost of the sync trigger: single-row updates before and while expanded;
 *   probes     p50 / p99 / max latency before, during expand, and during complete, against
 *              lockTimeout + 100 ms (max) and 2x the baseline (p99).
 * Floor and backfill alternate BENCH_EXPAND_ROUNDS times (default 2; the earlier expansions are aborted), the best of each
 * compared: on a shared machine the load moves between runs more than either moves.
 * Rows: BENCH_EXPAND_ROWS (default 1000000). One scratch database, dropped after.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema } from "../src/config/index.ts";
import { withClient } from "../src/db/index.ts";
import { completeExpansion } from "../src/expand/index.ts";
import { pgToolConnection, runPgTool } from "../src/runner/backup.ts";
import { applyMigrations, rollbackMigration } from "../src/runner/index.ts";
import type { ProgressEvent } from "../src/runner/types.ts";
import { startProbes } from "./probes.ts";
import { createScratchDatabase } from "./scratch-database.ts";

const ROWS = Number(process.env.BENCH_EXPAND_ROWS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_EXPAND_BATCH ?? 1000);
const LOCK_TIMEOUT_MS = 1000;
const PROBE_CLIENTS = 2;
const WRITES = 3000;
/** Floor and backfill alternate this many times (the backfill's earlier rounds aborted): the best of each is compared. */
const ROUNDS = Number(process.env.BENCH_EXPAND_ROUNDS ?? 2);

async function sql(url: string, text: string): Promise<void> {
  await withClient(url, (client) => client.query(text));
}

/** Probe clients: a read by key and a one-row update in turn, 2 ms apart. */
function probeTable(url: string): { stop(): Promise<number[]> } {
  return startProbes(url, {
    clients: PROBE_CLIENTS,
    pauseMs: 2,
    query: (client, i, index) => {
      const id = ((i * 7919 + index * 104729) % ROWS) + 1;
      return i % 2 === 0 ? client.query("SELECT n FROM bench_rows WHERE id = $1", [id]) : client.query("UPDATE bench_rows SET n = n + 1 WHERE id = $1", [id]);
    },
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function describe(label: string, latencies: number[]): { p50: number; p99: number; max: number } {
  const figures = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
  console.log(`probe ${label.padEnd(16)} n=${String(latencies.length).padStart(6)}  p50 ${figures.p50.toFixed(2)} ms  p99 ${figures.p99.toFixed(2)} ms  max ${figures.max.toFixed(1)} ms`);
  return figures;
}

/** Mean ms of one single-row UPDATE of n, from one session (the application's write path). */
async function writeCost(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < WRITES; i++) await client.query("UPDATE bench_rows SET n = n + 1 WHERE id = $1", [((i * 15485863) % ROWS) + 1]);
    return (performance.now() - started) / WRITES;
  } finally {
    await client.end();
  }
}

/** The floor: one psql session, the same batches as plain UPDATE ... WHERE id BETWEEN, each its own transaction. */
async function floorRowsPerSecond(url: string, folder: string): Promise<number> {
  await sql(url, "ALTER TABLE floor_rows ADD COLUMN IF NOT EXISTS n_new bigint");
  const lines: string[] = [];
  for (let from = 1; from <= ROWS; from += BATCH) lines.push(`UPDATE floor_rows SET n_new = n::bigint WHERE id BETWEEN ${from} AND ${from + BATCH - 1};`);
  const file = path.join(folder, "floor.sql");
  writeFileSync(file, `${lines.join("\n")}\n`);
  const { dbname, env } = pgToolConnection(url);
  const started = performance.now();
  await runPgTool("psql", ["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", `--file=${file}`, `--dbname=${dbname}`], env);
  return ROWS / ((performance.now() - started) / 1000);
}

export async function run(): Promise<void> {
  const database = await createScratchDatabase("expand");
  const folder = mkdtempSync(path.join(os.tmpdir(), "rookery-bench-expand-"));
  try {
    const { url } = database;
    const setup = `CREATE TABLE %s (id bigint PRIMARY KEY, n integer NOT NULL, payload text NOT NULL);
                   INSERT INTO %s SELECT g, g, md5(g::text) FROM generate_series(1, ${ROWS}) g;`;
    for (const table of ["bench_rows", "floor_rows"]) {
      await sql(url, setup.replaceAll("%s", table));
      await sql(url, `VACUUM ANALYZE ${table}`);
    }
    mkdirSync(path.join(folder, "migrations", "2025_12_01"), { recursive: true });
    writeFileSync(path.join(folder, "migrations", "2025_12_01", "001_n_bigint.sql"), "-- rookery:expand-contract\nALTER TABLE bench_rows ALTER COLUMN n TYPE bigint;\n");
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url, lockTimeout: LOCK_TIMEOUT_MS, backfillBatchSize: BATCH }), name: "bench" };
    let backfillStarted = 0;
    let backfillDone = 0;
    const onProgress = (event: ProgressEvent) => {
      if (/backfill bench_rows in batches/.test(event.message)) backfillStarted = performance.now();
      if (event.detail?.done === true && event.detail.backfill) backfillDone = performance.now();
    };
    const ctx = { environment, catalog: readCatalog(path.join(folder, "migrations")), actor: "bench:expand", onProgress };

    const floors: number[] = [];
    const backfills: number[] = [];
    for (let round = 1; round < ROUNDS; round++) {
      // The floor runs under the same probe workload as the backfill (on its own table), so both share the machine alike.
      const probing = probeTable(url);
      floors.push(await floorRowsPerSecond(url, folder));
      const early = await applyMigrations(ctx, { versions: ["20251201_000001"] });
      if (early.failed) throw new Error(`expand failed: ${early.failed.error}`);
      backfills.push(ROWS / ((backfillDone - backfillStarted) / 1000));
      await rollbackMigration(ctx, { version: "20251201_000001", reason: "bench: next round" });
      await probing.stop();
      for (const table of ["bench_rows", "floor_rows"]) await sql(url, `VACUUM ANALYZE ${table}`);
    }
    const floorProbes = probeTable(url);
    floors.push(await floorRowsPerSecond(url, folder));
    await floorProbes.stop();

    const writeBefore = await writeCost(url);
    let probes = probeTable(url);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const baseline = describe("before", await probes.stop());

    probes = probeTable(url);
    const expandStarted = performance.now();
    const report = await applyMigrations(ctx, { versions: ["20251201_000001"] });
    const expandMs = performance.now() - expandStarted;
    const duringExpand = describe("during expand", await probes.stop());
    if (report.failed) throw new Error(`expand failed: ${report.failed.error}`);
    backfills.push(ROWS / ((backfillDone - backfillStarted) / 1000));

    const writeExpanded = await writeCost(url);

    probes = probeTable(url);
    // The contract itself takes milliseconds: the window is 1 s either side of it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const completed = await completeExpansion(ctx, { version: "20251201_000001" });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const duringComplete = describe("during complete", await probes.stop());

    const backfill = Math.max(...backfills);
    const floor = Math.max(...floors);
    const each = (values: number[]) => values.map((value) => Math.round(value)).join(", ");
    console.log(`rows ${ROWS}, batches of ${BATCH}, lockTimeout ${LOCK_TIMEOUT_MS} ms, ${PROBE_CLIENTS} probe clients, ${ROUNDS} alternating rounds`);
    console.log(`backfill   rookery best ${Math.round(backfill)} rows/s (${each(backfills)})   floor (psql UPDATE ... BETWEEN loop) best ${Math.round(floor)} rows/s (${each(floors)})   ratio ${(backfill / floor).toFixed(2)}x (aim >= 0.8x)`);
    console.log(`expand     ${(expandMs / 1000).toFixed(1)} s in all; complete ${completed.durationMs} ms`);
    console.log(`triggers   one-row UPDATE ${(writeBefore * 1000).toFixed(0)} us before, ${(writeExpanded * 1000).toFixed(0)} us while expanded: ${(writeExpanded / writeBefore).toFixed(2)}x`);
    const worstMax = Math.max(duringExpand.max, duringComplete.max);
    console.log(`probe max  ${worstMax.toFixed(0)} ms vs lockTimeout + 100 ms (${LOCK_TIMEOUT_MS + 100} ms): ${worstMax <= LOCK_TIMEOUT_MS + 100 ? "met" : "NOT met"}`);
    const worstP99 = Math.max(duringExpand.p99, duringComplete.p99);
    console.log(`probe p99  ${worstP99.toFixed(2)} ms vs 2x baseline (${(2 * baseline.p99).toFixed(2)} ms): ${worstP99 <= 2 * baseline.p99 ? "met" : "NOT met"} (${(worstP99 / baseline.p99).toFixed(2)}x)`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await database.drop();
  }
}
