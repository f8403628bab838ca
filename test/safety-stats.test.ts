import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema } from "../src/config/index.ts";
import { applyMigrations, rollbackMigration } from "../src/runner/index.ts";
import { withLedgerClient } from "../src/session/session.ts";
import { getStats, sparkline } from "../src/runner/stats.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

describe("the migration dashboard", () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase("stats");
  });

  it("counts applied, failed and rolled back migrations per hour from the event history", async () => {
    const dir = migrationsFolder({
      "2025_11_01/001_create_a.sql": "CREATE TABLE a (id int);\n",
      "2025_11_01/rollback_001_create_a.sql": "DROP TABLE a;\n",
      "2025_11_01/002_create_b.sql": "CREATE TABLE b (id int);\n",
      "2025_11_01/003_broken.sql": "CREATE TABLE c (id int REFERENCES nowhere);\n",
    });
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "staging" };
    const ctx = { environment, catalog: readCatalog(dir), actor: "test" };
    await applyMigrations(ctx);
    await rollbackMigration(ctx, { version: "20251101_000001", reason: "stats test" });
    // Two earlier applies three hours apart, and one outside the 30-day window.
    await query(
      url,
      `INSERT INTO migration_events (version, event, actor, executed_at) VALUES
         ('20251001_000001', 'applied', 'test', date_trunc('hour', now()) - interval '50 days'),
         ('20251001_000002', 'applied', 'test', date_trunc('hour', now()) - interval '2 days'),
         ('20251001_000003', 'applied', 'test', date_trunc('hour', now()) - interval '2 days' + interval '3 hours')`,
    );

    const stats = await getStats(environment, { days: 30 });

    expect(stats.totals).toEqual({ applied: 4, failed: 1, rolledBack: 1 });
    const threeHoursLater = stats.hours.find((hour) => hour.applied === 1 && hour.avgHoursBetween === 3);
    expect(threeHoursLater).toBeDefined();
    expect(stats.appliedPerDay).toHaveLength(30);
    expect(stats.appliedPerDay.reduce((sum, day) => sum + day, 0)).toBe(4);

    const cli = await rookery(["stats"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain("4 applied, 1 failed, 1 rolled back");

    const badDays = await rookery(["stats", "--days", "0"], { DATABASE_URL: url, MIGRATIONS_DIR: dir });
    expect(badDays.code).toBe(2);
    expect(badDays.stderr).toMatch(/--days must be a whole number from 1 to 366/);
  });

  it("shows a gap of minutes in minutes, not as 0h", async () => {
    const minutes = await createTestDatabase("statsminutes");
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: minutes }), name: "staging" };
    await withLedgerClient(environment, async () => {});
    await query(
      minutes,
      `INSERT INTO migration_events (version, event, actor, executed_at) VALUES
         ('20251001_000001', 'applied', 'test', date_trunc('hour', now()) - interval '1 day'),
         ('20251001_000002', 'applied', 'test', date_trunc('hour', now()) - interval '1 day' + interval '12 minutes')`,
    );
    const cli = await rookery(["stats"], { DATABASE_URL: minutes });
    expect(cli.stdout).toMatch(/\s2\s+0\s+0\s+12 min$/m);
    expect(cli.stdout).not.toMatch(/\b0h\b/);
  });

  it("is empty, not an error, on a database without a ledger", async () => {
    const bare = await createTestDatabase("statsbare");
    const environment = { ...EnvironmentSchema.parse({ databaseUrl: bare }), name: "development" };
    const stats = await getStats(environment);
    expect(stats.totals).toEqual({ applied: 0, failed: 0, rolledBack: 0 });
    expect(stats.hours).toEqual([]);
  });

  it("draws a sparkline: the lowest bar for zero, the highest for the largest value", () => {
    expect(sparkline([0, 0])).toBe("▁▁");
    expect(sparkline([0, 1, 2, 4])).toBe("▁▃▅█");
    expect(sparkline([])).toBe("");
  });
});
