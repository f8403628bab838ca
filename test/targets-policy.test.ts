import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../src/config/index.ts";
import { startWorker } from "../src/queue/index.ts";
import { createRequest, listTargetRuns, pinTargets } from "../src/requests/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { catalogOf, resolveTargets } from "../src/targets/index.ts";
import { controlPool, quietLogger, requestInput, waitForRequest } from "./support/queue.ts";
import { migrationsFolder, rookery, scratchFolder } from "./support/cli.ts";
import { ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query, redisUrl, testQueuePrefix } from "./support/services.ts";

const TENANT = {
  "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/002_lead_email.sql": "ALTER TABLE leads ADD COLUMN email text;\n",
};

const applied = async (url: string) => (await query<{ present: string | null }>(url, "SELECT to_regclass('public.schema_migrations')::text AS present"))[0]!.present ? (await ledgerRows(url)).map((row) => `${row.version} ${row.status}`) : [];

/**
 * production's tenants a, b, c in waves of one, staging first from staging's tenants. Staging's tenant has only
 * the first version; a has both (someone overrode earlier), b only the first, c none: checking a alone, nothing
 * would be pending and b's second version would go on unvetted.
 */
async function secondTenantNotOnStaging(label: string) {
  const dir = migrationsFolder(TENANT);
  const [stagingMain, stagingTenant, a, b, c] = await Promise.all(["stg", "stgt", "a", "b", "c"].map((name) => createTestDatabase(`${label}${name}`)));
  await applyMigrations(runContext(testEnvironment(stagingTenant!), dir), { versions: ["20251103_000001"] });
  await applyMigrations(runContext(testEnvironment(a!), dir));
  await applyMigrations(runContext(testEnvironment(b!), dir), { versions: ["20251103_000001"] });
  const fleet = (databases: [string, string][]) => ({ dir, fleet: { databases: databases.map(([name, databaseUrl]) => ({ name, databaseUrl })), canary: 1, waveSize: 1, maxParallel: 1 } });
  const cwd = scratchFolder();
  const file = path.join(cwd, "rookery.config.yml");
  writeFileSync(
    file,
    stringify({
      environments: {
        staging: { databaseUrl: stagingMain, targets: { tenants: fleet([["s1", stagingTenant!]]) } },
        production: { databaseUrl: stagingMain, requireStaging: "staging", targets: { tenants: fleet([["a", a!], ["b", b!], ["c", c!]]) } },
      },
    }),
  );
  return { file, cwd, b: b!, c: c! };
}

describe("the deployment policy of a fleet, database by database", () => {
  it("checks each database's own pending files before its wave: the second tenant's version not on staging halts the fleet there, naming it", async () => {
    const { file, b, c } = await secondTenantNotOnStaging("tpc");

    const run = await rookery(["apply", "--all", "--env", "production", "--config", file], {});

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/tenants\s+b\s+2\s+failed\s+\d+ms\s+refused by production's deployment policy on tenants\/b: 20251103_000002 is not applied on staging/);
    expect(run.stderr).toContain("rookery: tenants: wave 2 of 3 refused by the deployment policy on b");
    expect(run.stderr).toContain("rookery: not started: tenants/c");
    expect(await applied(b)).toEqual(["20251103_000001 applied"]);
    expect(await applied(c)).toEqual([]);
  });

  it("on the queue each database's job asks its part of the policy before it applies: the second tenant is refused, naming it, and the fleet halts", async () => {
    const { file, cwd, b, c } = await secondTenantNotOnStaging("tpq");
    const controlUrl = await createTestDatabase("tpqctl");
    const pool = await controlPool(controlUrl);
    const config = loadConfig({ env: { CONTROL_DATABASE_URL: controlUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: testQueuePrefix("tpq"), LOG_LEVEL: "silent" }, cwd, configFile: file, migrationsDir: cwd });
    const worker = await startWorker(config, { logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 0 });
    try {
      const targets = resolveTargets(config, config.environments.production!);
      const { versions, checksums } = pinTargets(targets.map((target) => ({ target: target.name, migrations: catalogOf(target).migrations })));
      const request = await createRequest(pool, requestInput({ versions, checksums, approvalsRequired: 0 }));
      await worker.reconcile();
      const failed = await waitForRequest(pool, request.id, ["failed", "succeeded"], 60_000);
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(/tenants: wave 2 of 3 halted: 1 of 3 database\(s\) failed .*Failed: tenants\/b\. Not started: 1 \(tenants\/c\)/);
      const runs = await listTargetRuns(pool, request.id);
      expect(runs.map((entry) => `${entry.database} ${entry.status}`)).toEqual(["a up_to_date", "b failed", "c pending"]);
      expect(runs[1]!.error).toBe("refused by production's deployment policy on tenants/b: 20251103_000002 is not applied on staging");
    } finally {
      await worker.close();
    }
    expect(await applied(b)).toEqual(["20251103_000001 applied"]);
    expect(await applied(c)).toEqual([]);
  });

  it("checks what holds for the environment once, before the first database with something pending, and runs nothing past it", async () => {
    const dir = migrationsFolder(TENANT);
    const [a, b] = await Promise.all(["tpwa", "tpwb"].map((name) => createTestDatabase(name)));
    await applyMigrations(runContext(testEnvironment(a!), dir));
    const file = path.join(scratchFolder(), "rookery.config.yml");
    // The only window is on another day: a is up to date (nothing to refuse), b is refused before anything runs on it.
    const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    const windows = [{ days: [days[(new Date().getUTCDay() + 3) % 7]], from: "00:00", to: "23:59" }];
    writeFileSync(
      file,
      stringify({
        environments: {
          production: { databaseUrl: a, windows, targets: { tenants: { dir, fleet: { databases: [{ name: "a", databaseUrl: a }, { name: "b", databaseUrl: b }], canary: 1 } } } },
        },
      }),
    );

    const run = await rookery(["apply", "--all", "--env", "production", "--config", file], {});

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused by production's deployment policy:\n\s+- .*window/);
    expect(await applied(b!)).toEqual([]);
  });
});
