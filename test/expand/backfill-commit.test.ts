import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/runner/index.ts";
import { migrationsFolder } from "../support/cli.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { backfilledRows } from "../support/expand.ts";
import { waitUntil } from "../support/queue.ts";
import { query } from "../support/services.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/throwaway.ts";

// Each cluster is the file's own (initdb), with fsync on: these tests count the server's WAL flushes and crash it.
const ROWS = 20_000;
const BATCH = 100;
const BATCHES = ROWS / BATCH;
const FILE = { "2025_12_01/001_n_bigint.sql": "-- rookery:expand-contract\nALTER TABLE events ALTER COLUMN n TYPE bigint;\n" };

async function eventsDatabase(cluster: ThrowawayPostgres, name: string): Promise<string> {
  await query(cluster.url, `CREATE DATABASE ${name}`);
  const url = cluster.urlFor(name);
  await query(url, `CREATE TABLE events (id bigint PRIMARY KEY, n integer NOT NULL); INSERT INTO events SELECT g, g FROM generate_series(1, ${ROWS}) g`);
  return url;
}

async function walSyncs(url: string): Promise<number> {
  return Number((await query<{ syncs: string }>(url, "SELECT wal_sync AS syncs FROM pg_stat_wal"))[0]!.syncs);
}

async function expand(url: string) {
  return applyMigrations(runContext(testEnvironment(url, { backfillBatchSize: BATCH }), migrationsFolder(FILE)), { versions: ["20251201_000001"] });
}

async function backfilled(url: string): Promise<{ state: string; rows: number; wrong: number }> {
  const [row] = await query<{ state: string; rows: number }>(url, "SELECT state, (backfill->'public.events'->>'rows')::int AS rows FROM rookery_expansions WHERE version = '20251201_000001'");
  const [wrong] = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM events WHERE _rookery_n IS DISTINCT FROM n");
  return { state: row!.state, rows: row!.rows, wrong: wrong!.n };
}

describe("a backfill's batches commit without waiting for each flush", async () => {
  const cluster = await startThrowawayPostgres({ fsync: "on", wal_writer_delay: "200ms" });

  it("flushes the WAL far fewer times than it commits batches, and the expansion is complete", async () => {
    const url = await eventsDatabase(cluster, "unflushed");
    const before = await walSyncs(url);
    const report = await expand(url);
    expect(report.failed).toBeUndefined();
    // A batch that waited for its flush would be one sync each: 200 batches, 200 syncs at least.
    expect(await walSyncs(url) - before).toBeLessThan(BATCHES / 4);
    expect(await backfilled(url)).toEqual({ state: "expanded", rows: ROWS, wrong: 0 });
  });

  it("a server crash mid-backfill loses whole batches only: the resume redoes them and the count stays exact", async () => {
    const url = await eventsDatabase(cluster, "crashed");
    const running = expand(url).catch((error: unknown) => error);
    const progress = () => backfilledRows(url, "20251201_000001", "public.events");
    // Polled closely: the crash must come while the backfill still runs.
    await waitUntil(async () => (await progress()) >= 2000, "the backfill to get going", 30_000, 5);
    await cluster.restart();
    await running;
    // Whatever survived the crash, a batch's rows and its progress survived together.
    const survived = await progress();
    expect(survived).toBeLessThan(ROWS);
    expect((await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM events WHERE _rookery_n IS NOT NULL"))[0]!.n).toBe(survived);

    const resumed = await expand(url);
    expect(resumed.failed).toBeUndefined();
    expect(await backfilled(url)).toEqual({ state: "expanded", rows: ROWS, wrong: 0 });
  });
});

describe("a backfill where synchronous replication is configured", async () => {
  // A standby is named, and commits wait only for the local flush, so no test waits on a standby that does not exist.
  const cluster = await startThrowawayPostgres({ fsync: "on", synchronous_standby_names: "rookery_test_standby", synchronous_commit: "local" });

  it("keeps the server's setting: every batch waits for its flush", async () => {
    const url = await eventsDatabase(cluster, "replicated");
    const before = await walSyncs(url);
    const report = await expand(url);
    expect(report.failed).toBeUndefined();
    expect(await walSyncs(url) - before).toBeGreaterThanOrEqual(BATCHES);
    expect(await backfilled(url)).toEqual({ state: "expanded", rows: ROWS, wrong: 0 });
  });
});
