import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { applyMigrations } from "../../src/runner/index.ts";
import { binEnv, migrationsFolder, rookery } from "../support/cli.ts";
import { configFile } from "../support/config-file.ts";
import { backfilledRows } from "../support/expand.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { createTestDatabase, query } from "../support/services.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("a worker killed mid-backfill", async () => {
  const url = await createTestDatabase("exp-kill");
  await query(url, "CREATE TABLE events (id bigint PRIMARY KEY, n integer NOT NULL); INSERT INTO events SELECT g, g FROM generate_series(1, 20000) g");
  const dir = migrationsFolder({ "2025_12_01/001_n_bigint.sql": "-- rookery:expand-contract\nALTER TABLE events ALTER COLUMN n TYPE bigint;\n" });

  it("resumes from the last batch that committed and finishes once", async () => {
    const config = configFile({ production: { databaseUrl: url, backfillBatchSize: 100 } });
    const child = spawn(process.execPath, [path.join(ROOT, "bin/rookery.mjs"), "apply", "20251201_000001", "--dir", dir, "--config", config], {
      cwd: ROOT,
      env: { ...binEnv(), ROOKERY_ACTOR: "cli:killed" },
      stdio: "ignore",
    });
    onTestFinished(() => void child.kill("SIGKILL"));
    const progress = () => backfilledRows(url, "20251201_000001", "public.events");
    await waitFor(async () => (await progress()) >= 1000, "the backfill to get going");
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const stopped = await progress();
    expect(stopped).toBeLessThan(20000);
    // The rows the killed run counted are exactly the rows it converted: its last batch rolled back whole.
    expect((await query(url, "SELECT count(*)::int AS n FROM events WHERE _rookery_n IS NOT NULL"))[0]?.n).toBe(stopped);
    // status points at the resume: complete refuses a version that has not finished expanding.
    const status = await rookery(["status", "--dir", dir, "--config", config], {});
    expect(status.stdout).toContain("20251201_000001: expanding");
    expect(status.stdout).toContain("next: rookery apply 20251201_000001 to resume it, or rollback to abort");

    const report = await applyMigrations(runContext(testEnvironment(url, { backfillBatchSize: 100 }), dir), { versions: ["20251201_000001"] });
    expect(report.failed).toBeUndefined();
    const [row] = await query(url, "SELECT state, (backfill->'public.events'->>'rows')::int AS rows FROM rookery_expansions WHERE version = '20251201_000001'");
    // Every row converted once: the resumed run started after the last committed batch.
    expect(row).toEqual({ state: "expanded", rows: 20000 });
    expect((await query(url, "SELECT count(*)::int AS n FROM events WHERE _rookery_n IS DISTINCT FROM n"))[0]?.n).toBe(0);
    expect((await query(url, "SELECT event FROM migration_events WHERE version = '20251201_000001' AND event IN ('expanded', 'applied') ORDER BY id"))).toEqual([{ event: "expanded" }, { event: "applied" }]);
  });
});

describe("expand under a long-running reader", async () => {
  const url = await createTestDatabase("exp-probe");
  await query(url, "CREATE TABLE carts (id bigint PRIMARY KEY, qty integer NOT NULL); INSERT INTO carts SELECT g, g FROM generate_series(1, 1000) g");
  const dir = migrationsFolder({ "2025_12_01/001_qty_bigint.sql": "-- rookery:expand-contract\nALTER TABLE carts ALTER COLUMN qty TYPE bigint;\n" });

  it("never makes a probe wait past the lock timeout, and gets its lock on a retry", async () => {
    const lockTimeout = 300;
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    onTestFinished(() => blocker.end().catch(() => {}));
    await blocker.query("BEGIN; SELECT * FROM carts LIMIT 1");
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    onTestFinished(() => probe.end().catch(() => {}));
    const waits: number[] = [];
    let probing = true;
    const probing$ = (async () => {
      while (probing) {
        const started = performance.now();
        await probe.query("SELECT qty FROM carts WHERE id = 7");
        waits.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const ctx = runContext(testEnvironment(url, { lockTimeout, lockRetries: 8 }), dir);
    // The reader finishes once the expand's first attempt gave up waiting for its lock.
    const report$ = ctx.onProgress;
    let released = false;
    ctx.onProgress = (event) => {
      if (event.step === "retry" && !released) {
        released = true;
        void blocker.query("COMMIT");
      }
      return report$?.(event);
    };
    const report = await applyMigrations(ctx, { versions: ["20251201_000001"] });
    probing = false;
    await probing$;
    expect(report.failed).toBeUndefined();
    expect(report.applied[0]?.lockRetries).toBeGreaterThan(0);
    expect(ctx.progress.some((event) => event.step === "retry")).toBe(true);
    expect(Math.max(...waits)).toBeLessThan(lockTimeout + 150);
  });
});

describe("one expansion per table", async () => {
  const url = await createTestDatabase("exp-one");
  await query(url, "CREATE TABLE notes (id bigint PRIMARY KEY, body text, stars integer)");
  const dir = migrationsFolder({
    "2025_12_01/001_rename.sql": "-- rookery:expand-contract\nALTER TABLE notes RENAME COLUMN body TO text_body;\n",
    "2025_12_01/002_stars.sql": "-- rookery:expand-contract\nALTER TABLE notes ALTER COLUMN stars TYPE bigint;\n",
  });

  it("refuses a second expansion of a table, naming the first, and leaves the table as it was", async () => {
    const environment = testEnvironment(url);
    expect((await applyMigrations(runContext(environment, dir), { versions: ["20251201_000001"] })).failed).toBeUndefined();
    await expect(applyMigrations(runContext(environment, dir), { versions: ["20251201_000002"] })).rejects.toThrow("20251201_000001 is still expanded on public.notes");
    // Refused before anything ran: not even a failure recorded.
    expect(await query(url, "SELECT version, status FROM schema_migrations ORDER BY version")).toEqual([{ version: "20251201_000001", status: "applied" }]);
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'notes' ORDER BY ordinal_position")).toEqual([
      { column_name: "id" },
      { column_name: "body" },
      { column_name: "stars" },
    ]);
  });
});
