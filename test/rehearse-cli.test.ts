import { beforeAll, describe, expect, it } from "vitest";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { createTestDatabase, query } from "./support/services.ts";

let env: Record<string, string>;
let stagingUrl: string;
let productionUrl: string;

beforeAll(async () => {
  stagingUrl = await createTestDatabase("rhcli_staging");
  productionUrl = await createTestDatabase("rhcli_production");
  const dir = migrationsFolder({
    "2025_11_01/001_create_events.sql": "CREATE TABLE events (id bigint PRIMARY KEY, body text);\n",
    "2025_11_01/rollback_001_create_events.sql": "DROP TABLE IF EXISTS events;\n",
  });
  const config = configFile({ staging: { databaseUrl: stagingUrl }, production: { databaseUrl: productionUrl } });
  env = { ROOKERY_CONFIG: config, MIGRATIONS_DIR: dir, CONTROL_DATABASE_URL: stagingUrl };
});

describe("rookery rehearse", () => {
  it("rehearses on staging with custom probe queries and prints the report as JSON, leaving the version rolled back", async () => {
    const run = await rookery(["rehearse", "20251101_000001", "--env", "staging", "--clients", "2", "--seconds", "0.5", "--query", "SELECT 1", "--json"], env);
    expect(run.stderr).not.toContain("rookery:");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, environment: "staging", version: "20251101_000001", clients: 2, probes: ["SELECT 1"], probeSource: "custom queries", rolledBack: true, apply: { ok: true } });
    for (const phase of [report.baseline, report.during]) {
      expect(Object.keys(phase).sort()).toEqual(["errorSamples", "errors", "maxMs", "p50Ms", "p95Ms", "p99Ms", "queries", "seconds", "slowQueries", "throughput"]);
      expect(phase.queries).toBeGreaterThan(0);
    }
    expect(await query(stagingUrl, "SELECT to_regclass('public.events') AS t")).toEqual([{ t: null }]);
    expect(await query(stagingUrl, "SELECT status, applied_by FROM schema_migrations")).toEqual([{ status: "rolled_back", applied_by: "cli:tester" }]);
  });

  it("is refused on production: exit 1, nothing applied", async () => {
    const run = await rookery(["rehearse", "20251101_000001", "--env", "production"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rehearsal is refused on production");
    expect(await query(productionUrl, "SELECT to_regclass('public.events') AS t")).toEqual([{ t: null }]);
  });

  it("on production says so first, before its deployment policy (which no fix of would make a rehearsal run there)", async () => {
    expect((await rookery(["freeze", "--env", "production", "--reason", "quarter close"], env)).code).toBe(0);
    const run = await rookery(["rehearse", "20251101_000001", "--env", "production"], env);
    expect((await rookery(["freeze", "--env", "production", "--lift"], env)).code).toBe(0);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rehearsal is refused on production");
    expect(run.stderr).not.toContain("deployment policy");
  });

  it("is refused while the environment is frozen, like any apply", async () => {
    expect((await rookery(["freeze", "--env", "staging", "--reason", "load test tonight"], env)).code).toBe(0);
    const run = await rookery(["rehearse", "20251101_000001", "--env", "staging", "--seconds", "0.5"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused by staging's deployment policy:\n {2}- staging is frozen by cli:tester since .* UTC: load test tonight/);
    expect((await rookery(["freeze", "--env", "staging", "--lift"], env)).code).toBe(0);
  });

  it("bad options are usage errors naming the option", async () => {
    const run = await rookery(["rehearse", "20251101_000001", "--env", "staging", "--clients", "0"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--clients");
  });
});
