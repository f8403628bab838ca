import { describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations, planWatch, watchInForeground, type WatchRound } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

/** Orders, then a note column whose own check says no order may lack a note. */
const FILES = {
  "2025_11_01/001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_create_orders.sql": "DROP TABLE orders;\n",
  "2025_11_01/002_add_order_note.sql": [
    "-- description: every order has a note",
    "-- rookery:check orders_have_notes: SELECT count(*) = 0, count(*) || ' orders without a note' FROM orders WHERE note IS NULL",
    "ALTER TABLE orders ADD COLUMN note text;",
    "",
  ].join("\n"),
  "2025_11_01/rollback_002_add_order_note.sql": "ALTER TABLE orders DROP COLUMN note;\n",
};

const WINDOW = { watchMinutes: 0.05, interval: "200ms", checkTimeout: "2s" };

async function tableExists(url: string, table: string): Promise<boolean> {
  return (await query(url, "SELECT to_regclass($1) IS NOT NULL AS present", [table]))[0]!.present as boolean;
}

describe("automatic rollback after an apply", () => {
  it("rolls the request back, newest first, when the file's own check fails inside the window", async () => {
    const url = await createTestDatabase("ar-file");
    const dir = migrationsFolder(FILES);
    const environment = testEnvironment(url, { autoRollback: { ...WINDOW, watchMinutes: 0.2 } });
    const ctx = runContext(environment, dir, "slack:UREQ");
    const report = await applyMigrations(ctx);
    expect(report.applied.map((migration) => migration.version)).toEqual(["20251101_000001", "20251101_000002"]);
    const plan = planWatch(environment, readCatalog(dir).migrations)!;
    expect(plan.checks.map((check) => check.name)).toEqual(["verify 20251101_000002", "verify 20251101_000001", "20251101_000002/orders_have_notes"]);

    const rounds: WatchRound[] = [];
    const started = Date.now();
    const outcome = await watchInForeground(ctx, plan, {
      onRound: (round) => void rounds.push(round),
      // After the first clean round, the application writes an order the new column's check forbids.
      sleep: async (ms) => {
        if (rounds.length === 1) await query(url, "INSERT INTO orders (id) VALUES (1)");
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });

    expect(rounds[0]!.results.every((result) => result.status === "pass")).toBe(true);
    expect(outcome).toMatchObject({
      status: "rolled_back",
      rolledBack: ["20251101_000002", "20251101_000001"],
      failing: { name: "20251101_000002/orders_have_notes", status: "fail", value: "1 orders without a note" },
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await ledgerRows(url)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "rolled_back"],
      ["20251101_000002", "rolled_back"],
    ]);
    expect(await tableExists(url, "orders")).toBe(false);
    const auto = (await eventsOf(url, "20251101_000002")).filter((event) => event.event === "auto_rolled_back");
    expect(auto).toHaveLength(1);
    expect(auto[0]).toMatchObject({
      actor: "slack:UREQ",
      reason: "automatic rollback: 20251101_000002/orders_have_notes = 1 orders without a note",
      detail: { check: "20251101_000002/orders_have_notes", source: "file", value: "1 orders without a note" },
    });
    // Newest first: 002's rollback event comes before 001's.
    const order = await query<{ version: string }>(url, "SELECT version FROM migration_events WHERE event = 'rolled_back' ORDER BY id");
    expect(order.map((row) => row.version)).toEqual(["20251101_000002", "20251101_000001"]);
  });

  it("keeps the change when every check passes until the window ends", async () => {
    const url = await createTestDatabase("ar-keep");
    const dir = migrationsFolder(FILES);
    const environment = testEnvironment(url, {
      autoRollback: { ...WINDOW, watchMinutes: 0.03, checks: { orders_readable: "SELECT count(*) >= 0 FROM orders" } },
    });
    const ctx = runContext(environment, dir);
    await applyMigrations(ctx);
    const started = Date.now();
    const outcome = await watchInForeground(ctx, planWatch(environment, readCatalog(dir).migrations)!);
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ status: "kept", errors: [] });
    // The window was watched round after round; on a loaded machine a 200 ms interval gave 4 rounds in 1.8 s, not 9.
    expect((outcome as { rounds: number }).rounds).toBeGreaterThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(1600);
    expect(elapsed).toBeLessThan(4000);
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied"]);
  });

  it("a check with bad SQL never passes: it rolls back naming the error, or (onCheckError: alert) ends unverified", async () => {
    const url = await createTestDatabase("ar-badsql");
    const dir = migrationsFolder(FILES);
    const checks = { no_failed_jobs: "SELECT count(*) = 0 FROM failed_jobs WHERE created_at > current_setting('rookery.watch_started_at')::timestamptz" };
    const rollingBack = testEnvironment(url, { autoRollback: { ...WINDOW, checks } });
    await applyMigrations(runContext(rollingBack, dir));
    const outcome = await watchInForeground(runContext(rollingBack, dir), planWatch(rollingBack, readCatalog(dir).migrations)!);
    expect(outcome).toMatchObject({ status: "rolled_back", failing: { name: "no_failed_jobs", source: "environment", status: "error" } });
    expect((outcome as { failing: { value: string } }).failing.value).toMatch(/relation "failed_jobs" does not exist/);
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["rolled_back", "rolled_back"]);

    const alerting = testEnvironment(url, { autoRollback: { ...WINDOW, watchMinutes: 0.01, onCheckError: "alert", checks: { not_boolean: "SELECT 42" } } });
    await applyMigrations(runContext(alerting, dir));
    const unverified = await watchInForeground(runContext(alerting, dir), planWatch(alerting, readCatalog(dir).migrations)!);
    expect(unverified).toMatchObject({ status: "kept", errors: [{ name: "not_boolean", status: "error", value: "returned 42, not a boolean" }] });
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied"]);
  });

  it("a check cannot write or leave its read-only transaction", async () => {
    const url = await createTestDatabase("ar-readonly");
    const dir = migrationsFolder(FILES);
    const environment = testEnvironment(url, {
      autoRollback: { ...WINDOW, watchMinutes: 0.01, onCheckError: "alert", checks: { sneaky: "COMMIT; DROP TABLE orders; SELECT true", writes: "WITH d AS (DELETE FROM orders RETURNING 1) SELECT true" } },
    });
    await applyMigrations(runContext(environment, dir));
    const outcome = await watchInForeground(runContext(environment, dir), planWatch(environment, readCatalog(dir).migrations)!);
    expect(outcome.status).toBe("kept");
    const errors = (outcome as { errors: { name: string; value: string }[] }).errors;
    expect(errors.map((error) => error.name)).toEqual(["sneaky", "writes"]);
    expect(errors[0]!.value).toMatch(/multiple commands/);
    expect(errors[1]!.value).toMatch(/read-only transaction/);
    expect(await tableExists(url, "orders")).toBe(true);
  });

  it("does not roll back a version a later request built on: it says so instead", async () => {
    const url = await createTestDatabase("ar-builton");
    const dir = migrationsFolder({
      ...FILES,
      "2025_11_02/001_create_refunds.sql": "CREATE TABLE refunds (id bigint PRIMARY KEY);\n",
      "2025_11_02/rollback_001_create_refunds.sql": "DROP TABLE refunds;\n",
    });
    const environment = testEnvironment(url, { autoRollback: { ...WINDOW, checks: { never: "SELECT false, 'always failing'" } } });
    const ctx = runContext(environment, dir);
    await applyMigrations(ctx, { versions: ["20251101_000001", "20251101_000002"] });
    const plan = planWatch(environment, readCatalog(dir).migrations.slice(0, 2))!;
    await applyMigrations(ctx, { versions: ["20251102_000001"] });
    const outcome = await watchInForeground(ctx, plan);
    expect(outcome).toMatchObject({ status: "not_rolled_back", builtOnBy: ["20251102_000001"], failing: { name: "never", value: "always failing" } });
    expect((await ledgerRows(url)).map((row) => row.status)).toEqual(["applied", "applied", "applied"]);
  });
});
