/**
 * Expand-contract on a 1,000,000-row table (`integer` -> `bigint`) while a probe workload reads and
 * writes it:
 *   backfill   rows/s of expand's batched backfill (BENCH_EXPAND_BATCH, default 1000 rows a batch),
 *              against the floor: the same batches as a plain `UPDATE ... WHERE id BETWEEN` loop run
 *              by one psql session on an identical table with the same new column and no trigger,
 *              under the same probe workload (and, for context, the same loop with `synchronous_commit = off`,
 *              as Rookery's batches commit: the ratio against it is the sync trigger's own cost);
 *   triggers   the write cost of the sync trigger: single-row updates before and while expanded, each
 *              interleaved with the same update of the control table;
 *   probes     p50 / p99 / max latency before, during expand, and during complete, against
 *              lockTimeout + 100 ms (max) and 2x the baseline (p99). The baseline of each window is measured
 *              in that same window: the same probe clients interleave the same read and write on a control
 *              table (identical, untouched by the migration), so a quiet or a busy moment of the machine
 *              falls on both sides alike and only what the migration does to its table shows.
 * Floor and backfill alternate BENCH_EXPAND_ROUNDS times (default 3; the earlier expansions are aborted; which goes first
 * alternates; each on its table just rewritten by VACUUM FULL: an aborted round's column, dropped, keeps its values in every
 * row until a rewrite, so without it each backfill round wrote wider rows than the one before and than the floor's), compared round by round (the median of the rounds' ratios: the two sides of a
 * round share the machine's moment) and best against best: on a shared machine the load moves between runs more than either moves.
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
const ROUNDS = Number(process.env.BENCH_EXPAND_ROUNDS ?? 3);

async function sql(url: string, text: string): Promise<void> {
  await withClient(url, (client) => client.query(text));
}

/** The migrated table, and its control: identical, never migrated, probed in the same windows by the same clients. */
const CONTROL_TABLE = "floor_rows";

/**
 * Probe clients: a read by key and a one-row update of the migrated table, then the same two on the
 * control table, in turn, 2 ms apart; each latency is kept on its table's side.
 */
function probeTable(url: string): { stop(): Promise<{ target: number[]; control: number[] }> } {
  const target: number[] = [];
  const control: number[] = [];
  const probes = startProbes(url, {
    clients: PROBE_CLIENTS,
    pauseMs: 2,
    query: async (client, i, index) => {
      const id = ((Math.floor(i / 2) * 7919 + index * 104729) % ROWS) + 1;
      const table = i % 4 < 2 ? "bench_rows" : CONTROL_TABLE;
      const started = performance.now();
      if (i % 2 === 0) await client.query(`SELECT n FROM ${table} WHERE id = $1`, [id]);
      else await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [id]);
      (table === "bench_rows" ? target : control).push(performance.now() - started);
    },
  });
  return {
    async stop() {
      await probes.stop();
      return { target, control };
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Figures {
  p50: number;
  p99: number;
  max: number;
}

function figuresOf(latencies: number[]): Figures {
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

/** One window: the migrated table's figures beside the control's, measured by the same clients at the same time. */
function describe(label: string, window: { target: number[]; control: number[] }): { target: Figures; control: Figures } {
  const target = figuresOf(window.target);
  const control = figuresOf(window.control);
  const line = (name: string, n: number, f: Figures) => `${name} n=${String(n).padStart(6)}  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  max ${f.max.toFixed(1)} ms`;
  console.log(`probe ${label.padEnd(16)} ${line("migrated", window.target.length, target)}   |   ${line("control", window.control.length, control)}`);
  return { target, control };
}

/**
 * Mean ms of one single-row UPDATE of n, from one session (the application's write path), on the
 * migrated table and, interleaved one for one, on the control table: the same moments of the machine.
 */
async function writeCost(url: string): Promise<{ target: number; control: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let target = 0;
    let control = 0;
    for (let i = 0; i < WRITES; i++) {
      const id = ((i * 15485863) % ROWS) + 1;
      for (const table of ["bench_rows", CONTROL_TABLE]) {
        const started = performance.now();
        await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [id]);
        if (table === "bench_rows") target += performance.now() - started;
        else control += performance.now() - started;
      }
    }
    return { target: target / WRITES, control: control / WRITES };
  } finally {
    await client.end();
  }
}

/**
 * The floor: one psql session, the same batches as plain UPDATE ... WHERE id BETWEEN, each its own transaction.
 * `unflushed`: the same with `synchronous_commit = off`, as Rookery's batches commit (src/expand/backfill.ts), for context.
 */
async function floorRowsPerSecond(url: string, folder: string, unflushed = false): Promise<number> {
  await sql(url, "ALTER TABLE floor_rows ADD COLUMN IF NOT EXISTS n_new bigint");
  const lines: string[] = unflushed ? ["SET synchronous_commit = off;"] : [];
  for (let from = 1; from <= ROWS; from += BATCH) lines.push(`UPDATE floor_rows SET n_new = n::bigint WHERE id BETWEEN ${from} AND ${from + BATCH - 1};`);
  const file = path.join(folder, "floor.sql");
  writeFileSync(file, `${lines.join("\n")}\n`);
  const { dbname, env } = pgToolConnection(url);
  const started = performance.now();
  await runPgTool("psql", ["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", `--file=${file}`, `--dbname=${dbname}`], env);
  return ROWS / ((performance.now() - started) / 1000);
}

export async function run(): Promise<void> {
  const loadAtStart = os.loadavg().map((value) => value.toFixed(2)).join(", ");
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
    // Each side runs on its table freshly rewritten, so neither inherits the other's or its own last round's dead rows, nor
    // (the backfill's) the values of an aborted round's dropped column, which plain VACUUM leaves in every row.
    const unflushedFloors: number[] = [];
    const floorRound = async () => {
      await sql(url, "VACUUM FULL ANALYZE floor_rows");
      floors.push(await floorRowsPerSecond(url, folder));
      await sql(url, "VACUUM ANALYZE floor_rows");
      unflushedFloors.push(await floorRowsPerSecond(url, folder, true));
    };
    const backfillRound = async () => {
      await sql(url, "VACUUM FULL ANALYZE bench_rows");
      const early = await applyMigrations(ctx, { versions: ["20251201_000001"] });
      if (early.failed) throw new Error(`expand failed: ${early.failed.error}`);
      backfills.push(ROWS / ((backfillDone - backfillStarted) / 1000));
      await rollbackMigration(ctx, { version: "20251201_000001", reason: "bench: next round" });
    };
    for (let round = 1; round < ROUNDS; round++) {
      // The floor runs under the same probe workload as the backfill (on its own table), so both share the machine alike;
      // which goes first alternates (the measured round below has the floor first, so the one before it has the backfill first).
      const probing = probeTable(url);
      if ((ROUNDS - round) % 2 === 1) {
        await backfillRound();
        await floorRound();
      } else {
        await floorRound();
        await backfillRound();
      }
      await probing.stop();
    }
    const floorProbes = probeTable(url);
    await floorRound();
    await floorProbes.stop();
    await sql(url, "VACUUM FULL ANALYZE bench_rows");

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
    const paired = backfills.map((value, index) => value / floors[index]!).sort((a, b) => a - b);
    const median = paired[Math.floor(paired.length / 2)]!;
    console.log(`backfill   rookery best ${Math.round(backfill)} rows/s (${each(backfills)})   floor (psql UPDATE ... BETWEEN loop) best ${Math.round(floor)} rows/s (${each(floors)})`);
    console.log(`           ratio round by round ${backfills.map((value, index) => (value / floors[index]!).toFixed(2)).join(", ")}: median ${median.toFixed(2)}x, best against best ${(backfill / floor).toFixed(2)}x (aim >= 0.8x)`);
    const unflushed = backfills.map((value, index) => value / unflushedFloors[index]!).sort((a, b) => a - b);
    console.log(
      `           floor with synchronous_commit = off, as Rookery's batches commit: best ${Math.round(Math.max(...unflushedFloors))} rows/s (${each(unflushedFloors)}); ratio median ${unflushed[Math.floor(unflushed.length / 2)]!.toFixed(2)}x (the trigger's own cost)`,
    );
    console.log(`expand     ${(expandMs / 1000).toFixed(1)} s in all; complete ${completed.durationMs} ms`);
    // The trigger's cost: how much the migrated table's write grows against its control's, from before to while expanded.
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} us`;
    const before = writeBefore.target / writeBefore.control;
    const expanded = writeExpanded.target / writeExpanded.control;
    console.log(
      `triggers   one-row UPDATE before ${us(writeBefore.target)} (control ${us(writeBefore.control)}, ${before.toFixed(2)}x), while expanded ${us(writeExpanded.target)} (control ${us(writeExpanded.control)}, ${expanded.toFixed(2)}x): the trigger ${(expanded / before).toFixed(2)}x`,
    );
    const worstMax = Math.max(duringExpand.target.max, duringComplete.target.max);
    console.log(`probe max  ${worstMax.toFixed(0)} ms vs lockTimeout + 100 ms (${LOCK_TIMEOUT_MS + 100} ms): ${worstMax <= LOCK_TIMEOUT_MS + 100 ? "met" : "NOT met"}`);
    // Each window's p99 against its own control's, measured at the same moments: the machine's load falls on both.
    for (const [name, window] of [["expand", duringExpand], ["complete", duringComplete]] as const) {
      const ratio = window.target.p99 / window.control.p99;
      console.log(`probe p99  during ${name.padEnd(8)} ${window.target.p99.toFixed(2)} ms vs 2x its control (${(2 * window.control.p99).toFixed(2)} ms): ${ratio <= 2 ? "met" : "NOT met"} (${ratio.toFixed(2)}x)`);
    }
    console.log(`           (before: ${baseline.target.p99.toFixed(2)} ms, control ${baseline.control.p99.toFixed(2)} ms: ${(baseline.target.p99 / baseline.control.p99).toFixed(2)}x, the two sides' own difference)`);
    console.log(`load average ${loadAtStart} at the start, ${os.loadavg().map((value) => value.toFixed(2)).join(", ")} at the end`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await database.drop();
  }
}
