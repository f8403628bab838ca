import { describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "../support/cli.ts";
import { configFile } from "../support/config-file.ts";
import { queryAs } from "../support/expand.ts";
import { createTestDatabase, query } from "../support/services.ts";

describe("rookery rehearse on an expand-contract file", async () => {
  const stagingUrl = await createTestDatabase("exp-rehearse");
  await query(stagingUrl, "CREATE TABLE visits (id bigint PRIMARY KEY, hits integer NOT NULL); INSERT INTO visits SELECT g, g FROM generate_series(1, 2000) g");
  const dir = migrationsFolder({ "2025_12_01/001_hits.sql": "-- rookery:expand-contract\nALTER TABLE visits ALTER COLUMN hits TYPE bigint;\n" });
  const env = { ROOKERY_CONFIG: configFile({ staging: { databaseUrl: stagingUrl } }), MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: stagingUrl };

  it("expands under the probe workload and aborts after, without a rollback file, leaving the table as it was", async () => {
    const run = await rookery(["rehearse", "20251201_000001", "--env", "staging", "--clients", "2", "--seconds", "0.5", "--query", "SELECT hits FROM visits WHERE id = 7", "--json"], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, rolledBack: true, apply: { ok: true } });
    expect(await query(stagingUrl, "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'visits' AND column_name = 'hits'")).toEqual([{ data_type: "integer" }]);
    expect(await query(stagingUrl, "SELECT state FROM rookery_expansions")).toEqual([{ state: "aborted" }]);
    await expect(queryAs(stagingUrl, "rookery_20251201_000001", "SELECT 1 FROM visits")).rejects.toThrow(/does not exist/);
  });
});
