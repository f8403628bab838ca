import { describe, expect, it } from "vitest";
import type { Config } from "../src/config/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { resolveTargets, rollbackOfRun } from "../src/targets/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase } from "./support/services.ts";

const [oltp, acme, bolt] = await Promise.all(["rroltp", "rracme", "rrbolt"].map((label) => createTestDatabase(label)));

describe("rolling back what a run across targets applied: each database's versions, or a refusal naming where", () => {
  const oltpDir = migrationsFolder({
    "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_accounts.sql": "DROP TABLE accounts;\n",
    // No rollback file: its ledger row stores no script.
    "2025_11_01/002_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n",
  });
  const tenantDir = migrationsFolder({
    "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n",
    "2025_11_03/rollback_001_leads.sql": "DROP TABLE leads;\n",
  });
  const environment = {
    ...testEnvironment(oltp!),
    name: "production",
    targets: {
      oltp: { databaseUrl: oltp!, dir: oltpDir },
      tenants: { dir: tenantDir, fleet: { databases: [{ name: "acme", databaseUrl: acme! }, { name: "bolt", databaseUrl: bolt! }, { name: "gone", databaseUrl: "postgres://postgres@127.0.0.1:1/nowhere" }], canary: 1, waveSize: 10, maxParallel: 4, maxFailurePercent: 0 } },
    },
    targetOrder: ["oltp", "tenants"],
  } as Config["environments"][string];
  const targets = resolveTargets({ migrationsDir: oltpDir, layout: "rookery" } as unknown as Config, environment);

  it("plans the still-applied versions newest first, tenants before oltp, and refuses a version without a stored script or an unreadable ledger", async () => {
    await applyMigrations(runContext({ ...environment, databaseUrl: oltp! }, oltpDir));
    await applyMigrations(runContext({ ...environment, databaseUrl: acme! }, tenantDir));

    const clean = await rollbackOfRun(targets, [
      { target: "oltp", database: "oltp", applied: ["20251101_000001"] },
      { target: "tenants", database: "acme", applied: ["20251103_000001"] },
      // bolt's apply failed before anything: nothing to undo there.
      { target: "tenants", database: "bolt", applied: [] },
    ]);
    expect(clean.refusals).toEqual([]);
    expect(clean.databases.map((database) => `${database.step}:${database.target}/${database.database}:${database.versions.join(",")}`)).toEqual([
      "0:tenants/acme:20251103_000001",
      "1:oltp/oltp:20251101_000001",
    ]);

    const refused = await rollbackOfRun(targets, [
      { target: "oltp", database: "oltp", applied: ["20251101_000001", "20251101_000002"] },
      { target: "tenants", database: "gone", applied: ["20251103_000001"] },
    ]);
    expect(refused.refusals).toContainEqual("oltp: 20251101_000002 has no stored rollback script");
    expect(refused.refusals.find((line) => line.startsWith("tenants/gone: could not read its ledger"))).toBeDefined();
  });
});
