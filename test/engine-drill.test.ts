import { describe, expect, it } from "vitest";
import { applyMigrations } from "../src/runner/index.ts";
import { describeDrill, drillRollbacks } from "../src/runner/drill.ts";
import { migrationsFolder } from "./support/cli.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

/** Five versions with rollbacks, one of which (003) leaves its constraint behind, and a data fix without one. */
export const DRILL_FILES = {
  "2025_11_01/001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, amount integer);\n",
  "2025_11_01/rollback_001_create_orders.sql": "DROP TABLE orders;\n",
  "2025_11_01/002_index_order_amount.sql": "CREATE INDEX orders_amount_idx ON orders (amount);\n",
  "2025_11_01/rollback_002_index_order_amount.sql": "DROP INDEX orders_amount_idx;\n",
  "2025_11_01/003_order_status.sql":
    "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);\n",
  "2025_11_01/rollback_003_order_status.sql": "ALTER TABLE orders DROP COLUMN status;\n",
  "2025_11_01/004_create_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_004_create_customers.sql": "DROP TABLE customers;\n",
  "2025_11_01/005_customer_email.sql": "ALTER TABLE customers ADD COLUMN email text;\n",
  "2025_11_01/rollback_005_customer_email.sql": "ALTER TABLE customers DROP COLUMN email;\n",
  "2025_11_01/006_seed_customer.sql": "INSERT INTO customers (id, email) VALUES (1, 'first@example.com');\n",
};

describe("rollback drills", () => {
  it("proves every applied rollback newest first on a copy, naming the constraint one leaves behind; the environment is untouched", async () => {
    const url = await createTestDatabase("drl");
    const dir = migrationsFolder(DRILL_FILES);
    const environment = testEnvironment(url);
    await applyMigrations(runContext(environment, dir));
    const before = await ledgerRows(url);

    const scratchDatabase = `rookery_drilltest_${Date.now()}`;
    const report = await drillRollbacks(environment, runContext(environment, dir).catalog, { maxMs: 60_000, scratchDatabase });

    expect(report.versions.map((version) => [version.version, version.outcome])).toEqual([
      ["20251101_000006", "skipped"],
      ["20251101_000005", "proven"],
      ["20251101_000004", "proven"],
      ["20251101_000003", "failed"],
      ["20251101_000002", "proven"],
      ["20251101_000001", "proven"],
    ]);
    expect(report.counts).toEqual({ proven: 4, failed: 1, skipped: 1, notReached: 0 });
    const failed = report.versions.find((version) => version.outcome === "failed")!;
    expect(failed.differences.join("\n")).toMatch(/constraint "orders_amount_positive" for relation "orders" already exists/);
    expect(report.versions[0]!.reason).toBe("no rollback script was stored when it was applied");
    expect(describeDrill(report)).toMatch(/^rollback drill of test: proven 4, failed 1, skipped 1 .*\n20251101_000003 .*orders_amount_positive/);

    expect(await ledgerRows(url)).toEqual(before);
    expect(await query(url, "SELECT count(*)::int AS n FROM customers")).toEqual([{ n: 1 }]);
    const scratch = await query(url, "SELECT count(*)::int AS n FROM pg_database WHERE datname = $1", [scratchDatabase]);
    expect(scratch).toEqual([{ n: 0 }]);
  });

  it("stops at maxMinutes: versions not reached are named as such, never as proven", async () => {
    const url = await createTestDatabase("drlmax");
    const dir = migrationsFolder(DRILL_FILES);
    const environment = testEnvironment(url);
    await applyMigrations(runContext(environment, dir));
    const report = await drillRollbacks(environment, runContext(environment, dir).catalog, { maxMs: 0 });
    expect(report.counts).toEqual({ proven: 0, failed: 0, skipped: 0, notReached: 6 });
    expect(report.versions[0]!.reason).toMatch(/not reached within maxMinutes/);
  });
});
