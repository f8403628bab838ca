import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../src/config/index.ts";
import { collectHealthProblems } from "../src/queue/health-problems.ts";
import { applyTargets, prepareTargets, resolveTargets } from "../src/targets/index.ts";
import { migrationsFolder, scratchFolder } from "./support/cli.ts";
import { controlPool } from "./support/queue.ts";
import { createTestDatabase, query } from "./support/services.ts";

const [primary, a, b, c, d] = await Promise.all(["hprimary", "ha", "hb", "hc", "hd"].map((label) => createTestDatabase(label)));
const pool = await controlPool(primary!);

describe("health alerts of a fleet", () => {
  it("are grouped: one alert per version and state naming the databases, not one per database", async () => {
    await query(b!, "CREATE TABLE leads (id int)");
    await query(c!, "CREATE TABLE leads (id int)");
    const cwd = scratchFolder();
    const file = path.join(cwd, "rookery.config.yml");
    const tenantDir = migrationsFolder({ "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n" });
    writeFileSync(
      file,
      stringify({
        environments: {
          production: {
            targets: {
              oltp: { databaseUrl: primary, dir: migrationsFolder({ "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id int);\n" }) },
              tenants: {
                dir: tenantDir,
                fleet: { databases: [["a", a], ["b", b], ["c", c], ["d", d]].map(([name, databaseUrl]) => ({ name, databaseUrl })), maxFailurePercent: 100 },
              },
            },
          },
        },
      }),
    );
    const config = loadConfig({ env: {}, cwd, configFile: file, migrationsDir: cwd });
    const environment = config.environments.production!;
    const report = await applyTargets({ environment, targets: await prepareTargets(resolveTargets(config, environment, "tenants")), actor: "cli:tester" });
    expect(report.targets[0]!.databases.map((database) => `${database.database}:${database.status}`)).toEqual(["a:applied", "b:failed", "c:failed", "d:applied"]);

    const problems = await collectHealthProblems(config, pool, environment);
    const fleet = problems.filter((problem) => problem.key.startsWith("target:tenants:"));
    expect(fleet).toEqual([
      {
        key: "target:tenants:migration_health:20251103_000001:failed",
        level: "CRITICAL",
        version: "20251103_000001",
        message: "migration 20251103_000001 (Leads) is failed on 2 of 4 databases of tenants (b, c)",
        suggestedCommand: "rookery health --env production --target tenants",
      },
    ]);
  });
});
