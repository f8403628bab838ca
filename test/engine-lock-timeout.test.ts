import pg from "pg";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../src/runner/index.ts";
import { backoffDelay } from "../src/session/retry.ts";
import { migrationsFolder } from "./support/cli.ts";
import { columnsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

/** The application: reads the table over and over, recording the longest a read had to wait. */
function probeReads(url: string): { stop: () => Promise<number> } {
  let running = true;
  let longest = 0;
  const done = (async () => {
    const client = new pg.Client({ connectionString: url, application_name: "app-probe" });
    await client.connect();
    while (running) {
      const started = performance.now();
      await client.query("SELECT count(*) FROM orders");
      longest = Math.max(longest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return longest;
    },
  };
}

async function openTransactionReading(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "long-report" });
  await client.connect();
  await client.query("BEGIN");
  await client.query("SELECT count(*) FROM orders");
  return client;
}

describe("a migration queued behind a long transaction", async () => {
  const url = await createTestDatabase("engine-locktimeout");
  await query(url, "CREATE TABLE orders (id bigint PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 100)");
  const dir = migrationsFolder({ "2025_11_01/001_add_note.sql": "ALTER TABLE orders ADD COLUMN note text;\n" });
  const lockTimeout = 300;

  it("never stalls the application's reads for much longer than the lock timeout, retries, then fails as transient", async () => {
    const blocker = await openTransactionReading(url);
    const probe = probeReads(url);
    try {
      const ctx = runContext(testEnvironment(url, { lockTimeout, lockRetries: 3 }), dir);
      const report = await applyMigrations(ctx);
      const longestRead = await probe.stop();
      expect(report.failed).toMatchObject({ version: "20251101_000001", transient: true, sqlstate: "55P03" });
      expect(report.failed?.error).toContain("after 3 retries");
      expect(ctx.progress.filter((event) => event.step === "retry")).toHaveLength(3);
      // The run took several lock timeouts plus backoff; no single read waited for more than one timeout and a margin.
      expect(longestRead).toBeLessThan(lockTimeout * 4);
      expect(await columnsOf(url, "orders")).toEqual(["id"]);
      expect((await ledgerRows(url))[0]?.status).toBe("failed");
    } finally {
      await probe.stop();
      await blocker.query("COMMIT");
      await blocker.end();
    }
  });

  it("succeeds on a retry once the long transaction ends", async () => {
    const blocker = await openTransactionReading(url);
    const ctx = runContext(testEnvironment(url, { lockTimeout, lockRetries: 5 }), dir);
    ctx.onProgress = async (event) => {
      ctx.progress.push(event);
      if (event.step === "retry" && blocker) await blocker.query("COMMIT");
    };
    try {
      const report = await applyMigrations(ctx);
      expect(report.failed).toBeUndefined();
      expect(report.applied[0]?.lockRetries).toBeGreaterThanOrEqual(1);
      expect(await columnsOf(url, "orders")).toEqual(["id", "note"]);
      expect((await ledgerRows(url))[0]?.status).toBe("applied");
    } finally {
      await blocker.end();
    }
  });

  it("with the defaults, stalls the application under 1 s (it was 2 s) and keeps about 15 s of patience", async () => {
    const environment = testEnvironment(url);
    expect(environment.lockTimeout).toBe(500);
    // Every try waits lockTimeout; between tries, exponential backoff with jitter (here its middle).
    const patience = (environment.lockRetries + 1) * environment.lockTimeout +
      Array.from({ length: environment.lockRetries }, (_, retry) => backoffDelay(retry, () => 0.5)).reduce((a, b) => a + b, 0);
    expect(patience).toBeGreaterThan(12_000);
    expect(patience).toBeLessThan(20_000);

    await query(url, "ALTER TABLE orders DROP COLUMN IF EXISTS note; DELETE FROM schema_migrations");
    const blocker = await openTransactionReading(url);
    const probe = probeReads(url);
    const release = setTimeout(() => void blocker.query("COMMIT"), 3000);
    try {
      const ctx = runContext(environment, dir);
      const report = await applyMigrations(ctx);
      const longestRead = await probe.stop();
      expect(report.failed).toBeUndefined();
      expect(report.applied[0]?.lockRetries).toBeGreaterThanOrEqual(2);
      expect(longestRead).toBeLessThan(1000);
      expect(await columnsOf(url, "orders")).toEqual(["id", "note"]);
    } finally {
      clearTimeout(release);
      await probe.stop();
      await blocker.query("COMMIT").catch(() => {});
      await blocker.end();
    }
  });
});

describe("a migration queued behind a long transaction in the middle of a run of plain migrations", async () => {
  const url = await createTestDatabase("engine-locktimeout-run");
  await query(url, "CREATE TABLE orders (id bigint PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 100)");
  const dir = migrationsFolder({
    "2025_11_02/001_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY);\n",
    "2025_11_02/002_add_note.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
    "2025_11_02/003_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n",
  });

  it("keeps the ones before it, retries it with the first try counted, then applies the rest", async () => {
    const blocker = await openTransactionReading(url);
    const ctx = runContext(testEnvironment(url, { lockTimeout: 300, lockRetries: 3 }), dir);
    ctx.onProgress = async (event) => {
      ctx.progress.push(event);
      if (event.step === "retry") await blocker.query("COMMIT").catch(() => {});
    };
    try {
      const report = await applyMigrations(ctx);
      expect(report.failed).toBeUndefined();
      expect(report.applied.map((step) => [step.version, step.lockRetries])).toEqual([
        ["20251102_000001", 0],
        ["20251102_000002", 1],
        ["20251102_000003", 0],
      ]);
      const retries = ctx.progress.filter((event) => event.step === "retry");
      expect(retries.map((event) => [event.version, event.message.includes("retry 1/3")])).toEqual([["20251102_000002", true]]);
      expect(ctx.progress.filter((event) => event.step === "apply").map((event) => event.version)).toEqual(["20251102_000001", "20251102_000002", "20251102_000003"]);
      expect(await columnsOf(url, "orders")).toEqual(["id", "note"]);
      expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied", "applied"]);
    } finally {
      await blocker.query("COMMIT").catch(() => {});
      await blocker.end();
    }
  });
});
