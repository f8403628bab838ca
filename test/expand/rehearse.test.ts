import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "../support/cli.ts";
import { configFile } from "../support/config-file.ts";
import { queryAs } from "../support/expand.ts";
import { createTestDatabase, query } from "../support/services.ts";

describe("rookery rehearse on an expand-contract file", async () => {
  const stagingUrl = await createTestDatabase("exp-rehearse");
  await query(stagingUrl, "CREATE TABLE visits (id bigint PRIMARY KEY, hits integer NOT NULL, legacy text); INSERT INTO visits SELECT g, g, 'l' FROM generate_series(1, 2000) g");
  const dir = migrationsFolder({ "2025_12_01/001_hits.sql": "-- rookery:expand-contract\nALTER TABLE visits ALTER COLUMN hits TYPE bigint;\nALTER TABLE visits DROP COLUMN legacy;\n" });
  const env = { ROOKERY_CONFIG: configFile({ staging: { databaseUrl: stagingUrl } }), MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: stagingUrl };
  const columns = () => query(stagingUrl, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'visits' ORDER BY ordinal_position");
  const before = await columns();

  it("expands under the probe workload, runs complete under it too (rolled back), and aborts after, without a rollback file, leaving the table as it was", async () => {
    const run = await rookery(["rehearse", "20251201_000001", "--env", "staging", "--clients", "2", "--seconds", "0.5", "--query", "SELECT hits FROM visits WHERE id = 7", "--json"], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, rolledBack: true, apply: { ok: true }, complete: { ok: true, during: { errors: 0 } } });
    // The complete window was measured under the probes, as long as the baseline at least.
    expect(report.complete.during.queries).toBeGreaterThan(0);
    expect(report.complete.during.seconds).toBeGreaterThanOrEqual(0.5);
    expect(report.complete.impact).toHaveProperty("p99Percent");
    // Nothing of the complete stayed: the old column and the old type are there, no completed event.
    expect(await columns()).toEqual(before);
    expect(await query(stagingUrl, "SELECT state FROM rookery_expansions")).toEqual([{ state: "aborted" }]);
    expect(await query(stagingUrl, "SELECT count(*)::int AS n FROM migration_events WHERE event = 'completed'")).toEqual([{ n: 0 }]);
    await expect(queryAs(stagingUrl, "rookery_20251201_000001", "SELECT 1 FROM visits")).rejects.toThrow(/does not exist/);
  });

  it("prints the complete beside the expand in the report", async () => {
    const run = await rookery(["rehearse", "20251201_000001", "--env", "staging", "--clients", "1", "--seconds", "0.3", "--query", "SELECT hits FROM visits WHERE id = 7"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\s+baseline\s+expand\s+impact\s+complete\s+impact$/m);
    expect(run.stdout).toMatch(/^complete: \d+(\.\d+)? ms \(its transaction rolled back: nothing of it stays\)$/m);
    expect(run.stdout).toContain("rolled back: yes");
    expect(await columns()).toEqual(before);
  });
});
