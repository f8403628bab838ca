import pg from "pg";
import { loadParser, parseStatements } from "../analysis/parse.ts";
import type { Catalog, Migration } from "../catalog/index.ts";
import type { Environment } from "../config/index.ts";
import { connectClient } from "../db/index.ts";
import { RookeryError, UsageError } from "../errors.ts";
import { completeExpansion } from "../expand/index.ts";
import { applyMigrations, getStatus, rollbackMigration } from "./index.ts";
import type { ProgressListener } from "./types.ts";

/**
 * Rehearsal under load: the real version of the document's `test_migration_under_load`, which only
 * slept. Probe clients run reads and writes on the tables the migration touches; a baseline window is
 * measured, the migration is applied while the probes keep running, then it is rolled back. The
 * report puts baseline beside during, so a lock the migration takes shows as probe latency. An
 * expand-contract file (src/expand/) is expanded under load, then its complete runs under load in a
 * transaction that is rolled back (its locks taken and held as the real one would), then it is aborted.
 */

export interface RehearseOptions {
  /** Concurrent probe connections. */
  clients?: number;
  /** Length of the baseline window before the migration starts. */
  baselineSeconds?: number;
  /** Minimum length of the window measured while the migration runs (default: as long as the baseline). */
  duringSeconds?: number;
  /** Probe statements, run round-robin; default: reads and rolled-back writes on the tables the migration touches. */
  queries?: string[];
  /** A probe query slower than this counts as a lock wait (default 100 ms). */
  slowQueryMs?: number;
  /** Who the ledger records for the apply and the rollback. */
  actor: string;
  onProgress?: ProgressListener;
}

export interface WorkloadMetrics {
  seconds: number;
  queries: number;
  /** Completed probe queries per second. */
  throughput: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** Probe queries slower than `slowQueryMs`: in a rehearsal these are almost always lock waits. */
  slowQueries: number;
  /** A few distinct error messages, for the reader. */
  errorSamples: string[];
}

export interface LockObservation {
  /** pg_locks samples taken during the migration. */
  samples: number;
  /** Samples in which at least one probe waited for a lock. */
  samplesWithProbesWaiting: number;
  maxProbesWaiting: number;
  /** Sessions seen blocking a probe (usually the migration) and the sessions blocking those (what the migration queued behind). */
  blockers: { pid: number; applicationName: string; query: string }[];
}

export type WorkloadImpact = { throughputPercent: number | null; p95Percent: number | null; p99Percent: number | null; maxPercent: number | null };

/** The contract of an expand-contract file, rehearsed under load: complete's transaction, rolled back at its end. */
export interface CompleteRehearsal {
  ok: boolean;
  durationMs: number;
  lockRetries: number;
  error?: string;
  /** The probes while complete's transaction ran (and at least as long as the baseline). */
  during: WorkloadMetrics;
  impact: WorkloadImpact;
}

export interface RehearsalReport {
  environment: string;
  version: string;
  clients: number;
  slowQueryMs: number;
  probes: string[];
  /** Why the probes are what they are: "tables the migration touches: accounts" or "custom queries". */
  probeSource: string;
  baseline: WorkloadMetrics;
  during: WorkloadMetrics;
  /** Change from baseline to during, in percent; null when the baseline is zero. */
  impact: WorkloadImpact;
  locks: LockObservation;
  apply: { ok: boolean; durationMs: number; lockRetries: number; error?: string };
  /** Expand-contract files only, when the expand succeeded. */
  complete?: CompleteRehearsal;
  rolledBack: boolean;
  rollbackError?: string;
}

/** Environments a rehearsal never touches: it applies and rolls back for real. */
export function rehearsalRefusal(environment: Environment): string | undefined {
  if (environment.name === "production") return "rehearsal is refused on production: it applies and rolls back for real";
  if (environment.requireStaging) {
    return `rehearsal is refused on ${environment.name}: it requires staging first (requireStaging: ${environment.requireStaging}), so it is treated as production`;
  }
  return undefined;
}

/** Warm-up samples (first connections, cold caches) are discarded so they do not flatter the impact. */
type Phase = "warmup" | "baseline" | "during" | "complete";
const WARMUP_MS = 500;

interface Sample {
  phase: Phase;
  latencyMs: number;
  error?: string;
}

/**
 * Tables named anywhere in the migration's parse tree, schema-qualified when written so. A table
 * reference is a RangeVar: wrapped as `{RangeVar: {...}}` where any node may stand, bare (as
 * ALTER TABLE's `relation`) where only a table can; either way it is the object holding `relname`.
 */
export function tablesTouched(sql: string, file: string): { schema?: string; name: string }[] {
  const found = new Map<string, { schema?: string; name: string }>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (typeof record.relname === "string") {
      const schema = typeof record.schemaname === "string" ? record.schemaname : undefined;
      found.set(`${schema ?? ""}.${record.relname}`, { ...(schema ? { schema } : {}), name: record.relname });
    }
    Object.values(record).forEach(walk);
  };
  for (const statement of parseStatements(sql, file)) walk(statement.node);
  return [...found.values()];
}

interface ExistingTable {
  qualified: string;
  /** A column a no-op UPDATE may set to itself: not generated, not an identity column. */
  writableColumn?: string;
}

async function existingTables(client: pg.Client, tables: { schema?: string; name: string }[]): Promise<ExistingTable[]> {
  const result: ExistingTable[] = [];
  for (const table of tables) {
    const qualified = table.schema
      ? `${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)}`
      : client.escapeIdentifier(table.name);
    const { rows } = await client.query<{ oid: number | null }>("SELECT to_regclass($1)::oid AS oid", [qualified]);
    const oid = rows[0]?.oid;
    if (!oid) continue;
    const columns = await client.query<{ attname: string }>(
      `SELECT attname FROM pg_attribute
        WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = ''
        ORDER BY attnum LIMIT 1`,
      [oid],
    );
    const column = columns.rows[0]?.attname;
    result.push({ qualified, ...(column ? { writableColumn: client.escapeIdentifier(column) } : {}) });
  }
  return result;
}

/** The default workload: a read of each table and a no-op write rolled back, so the rehearsal leaves no data behind. */
function defaultProbes(tables: ExistingTable[]): string[] {
  return tables.flatMap((table) => [
    `SELECT * FROM ${table.qualified} LIMIT 1`,
    ...(table.writableColumn
      ? [
          `BEGIN; UPDATE ${table.qualified} SET ${table.writableColumn} = ${table.writableColumn} WHERE ctid = (SELECT ctid FROM ${table.qualified} LIMIT 1); ROLLBACK`,
        ]
      : []),
  ]);
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function summarise(samples: Sample[], seconds: number, slowQueryMs: number): WorkloadMetrics {
  const ok = samples.filter((sample) => sample.error === undefined);
  const latencies = ok.map((sample) => sample.latencyMs).sort((a, b) => a - b);
  const errors = samples.filter((sample) => sample.error !== undefined);
  return {
    seconds: round(seconds),
    queries: ok.length,
    throughput: seconds > 0 ? round(ok.length / seconds) : 0,
    p50Ms: round(percentile(latencies, 0.5)),
    p95Ms: round(percentile(latencies, 0.95)),
    p99Ms: round(percentile(latencies, 0.99)),
    maxMs: round(latencies.at(-1) ?? 0),
    errors: errors.length,
    slowQueries: samples.filter((sample) => sample.latencyMs > slowQueryMs).length,
    errorSamples: [...new Set(errors.map((sample) => sample.error!))].slice(0, 5),
  };
}

function change(baseline: number, during: number): number | null {
  return baseline === 0 ? null : round(((during - baseline) / baseline) * 100);
}

function impactOf(baseline: WorkloadMetrics, during: WorkloadMetrics): WorkloadImpact {
  return {
    throughputPercent: change(baseline.throughput, during.throughput),
    p95Percent: change(baseline.p95Ms, during.p95Ms),
    p99Percent: change(baseline.p99Ms, during.p99Ms),
    maxPercent: change(baseline.maxMs, during.maxMs),
  };
}

/** N probe connections looping over the probe statements until stopped, each query timed and tagged with the phase it started in. */
class ProbeWorkload {
  readonly samples: Sample[] = [];
  readonly pids: number[] = [];
  phase: Phase = "warmup";
  private running = true;
  private loops: Promise<void>[] = [];
  private clients: pg.Client[] = [];

  constructor(
    private readonly url: string,
    private readonly probes: string[],
  ) {}

  async start(count: number): Promise<void> {
    try {
      for (let index = 0; index < count; index++) {
        const client = await connectClient(this.url, "rookery-rehearsal-probe");
        this.clients.push(client);
        // A probe never waits forever, whatever the migration does.
        await client.query("SET statement_timeout = '60s'");
        const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        this.pids.push(rows[0]!.pid);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.loops = this.clients.map((client, index) => this.loop(client, index));
  }

  private async loop(client: pg.Client, offset: number): Promise<void> {
    for (let turn = offset; this.running; turn++) {
      const sql = this.probes[turn % this.probes.length]!;
      const phase = this.phase;
      const started = performance.now();
      try {
        await client.query(sql);
        this.samples.push({ phase, latencyMs: performance.now() - started });
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        this.samples.push({ phase, latencyMs: performance.now() - started, error: (error as Error).message });
        // An error loop (a table the migration dropped) must not spin the CPU.
        await sleep(10);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.clients.map((client) => client.end().catch(() => {})));
  }
}

/** Distinct blocking sessions kept for the report: enough to name the culprits, short enough to read. */
const MAX_BLOCKERS = 5;

/** Samples pg_locks while the migration runs: how many probes wait, and who blocks them. */
class LockSampler {
  readonly observation: LockObservation = { samples: 0, samplesWithProbesWaiting: 0, maxProbesWaiting: 0, blockers: [] };
  private running = true;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: pg.Client,
    private readonly probePids: number[],
  ) {}

  start(intervalMs = 25): void {
    this.done = (async () => {
      while (this.running) {
        await this.sample();
        await sleep(intervalMs);
      }
    })();
  }

  /**
   * Who blocks a probe, and who blocks that one, read in the same query as the wait, so each query
   * shown is the one the session ran then.
   */
  private async sample(): Promise<void> {
    const { rows } = await this.client.query<{ waiting: number; blockers: LockObservation["blockers"] }>(
      `WITH waits AS (
         SELECT l.pid, unnest(pg_blocking_pids(l.pid)) AS blocker
           FROM pg_locks l WHERE NOT l.granted AND l.pid = ANY($1::int[])),
       culprits AS (
         SELECT blocker AS pid FROM waits
         UNION SELECT unnest(pg_blocking_pids(blocker)) FROM waits)
       SELECT (SELECT count(DISTINCT pid)::int FROM pg_locks WHERE NOT granted AND pid = ANY($1::int[])) AS waiting,
              coalesce((SELECT json_agg(json_build_object('pid', a.pid, 'applicationName', a.application_name, 'query', left(regexp_replace(a.query, '[[:space:]]+', ' ', 'g'), 120)))
                          FROM pg_stat_activity a
                         WHERE a.pid IN (SELECT pid FROM culprits) AND a.pid <> ALL($1::int[])), '[]') AS blockers`,
      [this.probePids],
    );
    const waiting = rows[0]?.waiting ?? 0;
    this.observation.samples++;
    if (waiting > 0) this.observation.samplesWithProbesWaiting++;
    this.observation.maxProbesWaiting = Math.max(this.observation.maxProbesWaiting, waiting);
    for (const blocker of rows[0]?.blockers ?? []) {
      const seen = this.observation.blockers.some((known) => known.pid === blocker.pid && known.query === blocker.query);
      if (!seen && this.observation.blockers.length < MAX_BLOCKERS) this.observation.blockers.push(blocker);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function preflight(environment: Environment, catalog: Catalog, version: string): Promise<Migration> {
  const refusal = rehearsalRefusal(environment);
  if (refusal) throw new RookeryError(refusal, { hint: "Rehearse on staging (or another non-production environment)." });
  const migration = catalog.byVersion.get(version);
  if (!migration) throw new UsageError(`no migration ${version} in ${catalog.dir}`, { hint: "`rookery status` lists the versions." });
  // Expand-contract (src/expand/): rolling back the expansion aborts it, which needs no file.
  if (!migration.rollback && !migration.expandContract) {
    throw new RookeryError(`${version} has no rollback file, and a rehearsal must roll back what it applied`, {
      hint: `Add rollback_${migration.path.split("/").pop()} beside it.`,
    });
  }
  const status = await getStatus(environment, catalog);
  const state = status.migrations.find((entry) => entry.version === version)?.state;
  if (state === "applied") {
    throw new RookeryError(`${version} is already applied on ${environment.name}; a rehearsal applies it itself`, {
      hint: "Roll it back there first, or rehearse on another environment.",
    });
  }
  return migration;
}

interface Measured {
  applyResult: RehearsalReport["apply"];
  baselineElapsed: number;
  duringElapsed: number;
  completeResult?: Omit<CompleteRehearsal, "during" | "impact">;
  completeElapsed?: number;
}

/** Warm-up, baseline window, then the apply with the lock sampler running; the workload runs throughout. */
async function measureUnderLoad(
  workload: ProbeWorkload,
  sampler: LockSampler,
  run: { environment: Environment; catalog: Catalog; version: string; expandContract: boolean; options: RehearseOptions; baselineSeconds: number; duringSeconds: number },
): Promise<Measured> {
  const progress = run.options.onProgress ?? (() => {});
  const clients = workload.pids.length;
  await progress({ step: "apply", version: run.version, message: `rehearsal: measuring the baseline for ${run.baselineSeconds}s with ${clients} clients` });
  await sleep(WARMUP_MS);
  workload.phase = "baseline";
  const baselineStart = performance.now();
  await sleep(run.baselineSeconds * 1000);
  workload.phase = "during";
  const duringStart = performance.now();
  sampler.start();
  await progress({ step: "apply", version: run.version, message: `rehearsal: applying ${run.version} under load` });
  const applyResult = await applyUnderLoad(run.environment, run.catalog, run.version, run.options);
  const remaining = run.duringSeconds * 1000 - (performance.now() - duringStart);
  if (remaining > 0) await sleep(remaining);
  const measured: Measured = {
    applyResult,
    baselineElapsed: (duringStart - baselineStart) / 1000,
    duringElapsed: (performance.now() - duringStart) / 1000,
  };
  if (!run.expandContract || !applyResult.ok) return measured;
  workload.phase = "complete";
  const completeStart = performance.now();
  await progress({ step: "apply", version: run.version, message: `rehearsal: completing ${run.version} under load (its transaction is rolled back at the end)` });
  measured.completeResult = await completeUnderLoad(run.environment, run.catalog, run.version, run.options);
  const left = run.duringSeconds * 1000 - (performance.now() - completeStart);
  if (left > 0) await sleep(left);
  measured.completeElapsed = (performance.now() - completeStart) / 1000;
  return measured;
}

/**
 * Rehearses one migration under load and rolls it back. The probes keep running through the apply;
 * the "during" window lasts as long as the apply, and at least `duringSeconds`.
 */
export async function rehearse(
  environment: Environment,
  catalog: Catalog,
  version: string,
  options: RehearseOptions,
): Promise<RehearsalReport> {
  await loadParser();
  const migration = await preflight(environment, catalog, version);
  const clients = options.clients ?? 4;
  const baselineSeconds = options.baselineSeconds ?? 5;
  const duringSeconds = options.duringSeconds ?? baselineSeconds;
  const slowQueryMs = options.slowQueryMs ?? 100;

  const observer = await connectClient(environment.databaseUrl, "rookery-rehearsal-observer");
  try {
    const { probes, probeSource } = await chooseProbes(observer, migration, options.queries);
    const workload = new ProbeWorkload(environment.databaseUrl, probes);
    await workload.start(clients);
    const sampler = new LockSampler(observer, workload.pids);
    let measured: Measured;
    try {
      measured = await measureUnderLoad(workload, sampler, { environment, catalog, version, expandContract: migration.expandContract, options, baselineSeconds, duringSeconds });
    } finally {
      await workload.stop();
      await sampler.stop();
    }
    const { applyResult, baselineElapsed, duringElapsed } = measured;
    const rollback = applyResult.ok ? await rollBack(environment, catalog, version, options) : { rolledBack: false };
    const baseline = summarise(workload.samples.filter((sample) => sample.phase === "baseline"), baselineElapsed, slowQueryMs);
    const during = summarise(workload.samples.filter((sample) => sample.phase === "during"), duringElapsed, slowQueryMs);
    const completeDuring = measured.completeResult && summarise(workload.samples.filter((sample) => sample.phase === "complete"), measured.completeElapsed ?? 0, slowQueryMs);
    return {
      environment: environment.name,
      version,
      clients,
      slowQueryMs,
      probes,
      probeSource,
      baseline,
      during,
      impact: impactOf(baseline, during),
      locks: sampler.observation,
      apply: applyResult,
      ...(measured.completeResult && completeDuring ? { complete: { ...measured.completeResult, during: completeDuring, impact: impactOf(baseline, completeDuring) } } : {}),
      ...rollback,
    };
  } finally {
    await observer.end().catch(() => {});
  }
}

async function chooseProbes(
  client: pg.Client,
  migration: Migration,
  queries: string[] | undefined,
): Promise<{ probes: string[]; probeSource: string }> {
  if (queries && queries.length > 0) return { probes: queries, probeSource: "custom queries" };
  const tables = await existingTables(client, tablesTouched(migration.sql, migration.path));
  if (tables.length === 0) {
    return { probes: ["SELECT 1"], probeSource: "the migration touches no existing table: probing with SELECT 1" };
  }
  return { probes: defaultProbes(tables), probeSource: `tables the migration touches: ${tables.map((table) => table.qualified).join(", ")}` };
}

async function applyUnderLoad(
  environment: Environment,
  catalog: Catalog,
  version: string,
  options: RehearseOptions,
): Promise<RehearsalReport["apply"]> {
  const started = performance.now();
  try {
    const report = await applyMigrations(
      { environment, catalog, actor: options.actor, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      { versions: [version] },
    );
    const applied = report.applied.find((entry) => entry.version === version);
    const durationMs = round(performance.now() - started);
    if (report.failed) return { ok: false, durationMs, lockRetries: 0, error: report.failed.error };
    return { ok: applied !== undefined, durationMs, lockRetries: applied?.lockRetries ?? 0 };
  } catch (error) {
    return { ok: false, durationMs: round(performance.now() - started), lockRetries: 0, error: (error as Error).message };
  }
}

/** complete's transaction under the probes, rolled back at its end: the expansion stays expanded for the abort. */
async function completeUnderLoad(environment: Environment, catalog: Catalog, version: string, options: RehearseOptions): Promise<Omit<CompleteRehearsal, "during" | "impact">> {
  const started = performance.now();
  try {
    const report = await completeExpansion(
      { environment, catalog, actor: options.actor, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      { version, rehearsal: true },
    );
    return { ok: true, durationMs: round(performance.now() - started), lockRetries: report.lockRetries };
  } catch (error) {
    return { ok: false, durationMs: round(performance.now() - started), lockRetries: 0, error: (error as Error).message };
  }
}

/** Whether every part of the rehearsal went through: apply, the complete (expand-contract) and the rollback. */
export function rehearsalOk(report: RehearsalReport): boolean {
  return report.apply.ok && report.rolledBack && (report.complete?.ok ?? true);
}

async function rollBack(
  environment: Environment,
  catalog: Catalog,
  version: string,
  options: RehearseOptions,
): Promise<{ rolledBack: boolean; rollbackError?: string }> {
  try {
    await rollbackMigration(
      { environment, catalog, actor: options.actor, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      { version, reason: "rehearsal under load: undo the rehearsed apply" },
    );
    return { rolledBack: true };
  } catch (error) {
    return { rolledBack: false, rollbackError: (error as Error).message };
  }
}

function percentText(value: number | null): string {
  if (value === null) return "n/a";
  return `${value > 0 ? "+" : ""}${Math.round(value)}%`;
}

/** The report as aligned plain-text lines (monospace in Slack, plain on a terminal). */
export function rehearsalLines(report: RehearsalReport): string[] {
  const complete = report.complete;
  // An expand-contract rehearsal has a second window: complete's transaction, rolled back.
  const extra = (during: (metrics: WorkloadMetrics) => string, impact: (value: WorkloadImpact) => string = () => "") =>
    complete ? [during(complete.during), impact(complete.impact)] : [];
  const rows: string[][] = [
    ["", "baseline", complete ? "expand" : "during", "impact", ...(complete ? ["complete", "impact"] : [])],
    ["throughput (q/s)", String(report.baseline.throughput), String(report.during.throughput), percentText(report.impact.throughputPercent), ...extra((m) => String(m.throughput), (i) => percentText(i.throughputPercent))],
    ["p50 (ms)", String(report.baseline.p50Ms), String(report.during.p50Ms), "", ...extra((m) => String(m.p50Ms))],
    ["p95 (ms)", String(report.baseline.p95Ms), String(report.during.p95Ms), percentText(report.impact.p95Percent), ...extra((m) => String(m.p95Ms), (i) => percentText(i.p95Percent))],
    ["p99 (ms)", String(report.baseline.p99Ms), String(report.during.p99Ms), percentText(report.impact.p99Percent), ...extra((m) => String(m.p99Ms), (i) => percentText(i.p99Percent))],
    ["max (ms)", String(report.baseline.maxMs), String(report.during.maxMs), percentText(report.impact.maxPercent), ...extra((m) => String(m.maxMs), (i) => percentText(i.maxPercent))],
    [`lock waits (>${report.slowQueryMs}ms)`, String(report.baseline.slowQueries), String(report.during.slowQueries), "", ...extra((m) => String(m.slowQueries))],
    ["errors", String(report.baseline.errors), String(report.during.errors), "", ...extra((m) => String(m.errors))],
    ["seconds", String(report.baseline.seconds), String(report.during.seconds), "", ...extra((m) => String(m.seconds))],
  ];
  const widths = rows[0]!.map((_header, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join("  ").trimEnd());
  const applyLine = report.apply.ok
    ? `apply: ${report.apply.durationMs} ms${report.apply.lockRetries > 0 ? `, ${report.apply.lockRetries} lock retries` : ""}`
    : `apply FAILED: ${report.apply.error ?? "unknown error"}`;
  const completeLines = !complete
    ? []
    : complete.ok
      ? [`complete: ${complete.durationMs} ms${complete.lockRetries > 0 ? `, ${complete.lockRetries} lock retries` : ""} (its transaction rolled back: nothing of it stays)`]
      : [`complete FAILED: ${complete.error ?? "unknown error"} (nothing of it stays)`, ...complete.during.errorSamples.map((message) => `  error during complete: ${message}`)];
  const rollbackLine = report.rolledBack
    ? "rolled back: yes"
    : report.apply.ok
      ? `rolled back: NO (${report.rollbackError ?? "unknown error"}): roll it back by hand`
      : "rolled back: nothing to roll back (the apply did not complete)";
  const blockers = report.locks.blockers.map((blocker) => `  blocked by pid ${blocker.pid} (${blocker.applicationName || "?"}): ${blocker.query}`);
  return [
    `rehearsal of ${report.version} on ${report.environment}: ${report.clients} clients, ${report.probeSource}`,
    ...table,
    `pg_locks: probes waited in ${report.locks.samplesWithProbesWaiting} of ${report.locks.samples} samples (at most ${report.locks.maxProbesWaiting} at once)`,
    ...blockers,
    ...report.during.errorSamples.map((message) => `  error during: ${message}`),
    applyLine,
    ...completeLines,
    rollbackLine,
  ];
}
