import { describe, expect, it } from "vitest";
import type { Finding } from "../src/analysis/index.ts";
import type { PlanStep } from "../src/runner/types.ts";
import { messageViolation } from "../src/slack/views/limits.ts";
import { targetsPlanMessage, type PlannedStep } from "../src/slack/views/targets-plan-message.ts";
import { migrationsFolder } from "./support/cli.ts";
import { fleetResults } from "./support/fleet-results.ts";
import { createTestDatabase, query } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const [oltp, acme, bolt, crane] = await Promise.all(["ploltp", "placme", "plbolt", "plcrane"].map((label) => createTestDatabase(label)));
// Every tenant has the table; only bolt's holds a row, so only there is it more than an empty (small) table.
for (const url of [acme, bolt, crane]) await query(url!, "CREATE TABLE leads (id bigint PRIMARY KEY, name text)");
await query(bolt!, "INSERT INTO leads VALUES (1, 'a')");

describe("/migrate plan across targets shows each migration's lint findings, as rookery plan finds them on each database", async () => {
  const harness = await startSlackHarness({
    label: "slack-targets-plan-lint",
    migrations: {},
    environments: () => ({
      production: {
        databaseUrl: oltp,
        targets: {
          oltp: { databaseUrl: oltp, dir: migrationsFolder({ "2025_11_01/001_accounts.sql": "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY, created timestamp);\n" }) },
          tenants: {
            dir: migrationsFolder({
              "2025_11_03/001_leads_name.sql": "-- description: index leads by name\nCREATE INDEX leads_name ON leads (name);\n",
              "2025_11_03/rollback_001_leads_name.sql": "DROP INDEX IF EXISTS leads_name;\n",
            }),
            fleet: { databases: [{ name: "acme", databaseUrl: acme }, { name: "bolt", databaseUrl: bolt }, { name: "crane", databaseUrl: crane }] },
          },
        },
        targetOrder: ["oltp", "tenants"],
      },
    }),
    jobs: false,
  });

  it("names the findings under each migration, a fleet's counted over the databases where they hold", async () => {
    const plan = await harness.answer((await harness.command(USERS.requester, "plan production")).responseId);
    expect(plan.text).toBe("production: plan across 2 target(s)");
    const text = textOf(plan);
    expect(text).toMatch(/`20251101_000001` accounts _\(\*no rollback file\*\)_ · \*DDL Add\*\\n      :no_entry: `ddl-without-rollback-file` line \d+:/);
    expect(text).toMatch(/:warning: `prefer-timestamptz` line 2: /);
    expect(text).toContain("3 would apply `20251103_000001` (acme, bolt, crane)");
    // Empty on acme and crane (a small table: the lock is brief), a row on bolt: the finding holds there alone.
    expect(text).toMatch(/`20251103_000001` index leads by name · \*[^*]+\*\\n      :no_entry: `require-concurrent-index-creation` line 2: [^\n]*_\(on 1 of 3\)_/);
  });
});

describe("plan findings across a fleet of 500 databases stay within Slack's limits", () => {
  it("six findings on each of 60 versions: three shown per version, the rest counted, inert", () => {
    const version = (index: number) => `2025110${index % 10}_0000${String(index % 60).padStart(2, "0")}`;
    const finding = (rule: number): Finding => ({ rule: `rule-${rule}`, severity: rule % 2 ? "warning" : "error", file: "x.sql", line: rule, column: 1, message: `<!channel> *locks* ${"m".repeat(400)}`, safeWay: "s" });
    const step = (index: number): PlannedStep => ({ version: version(index), description: "d", path: "x.sql", checksum: "c", hasRollback: true, outsideTransaction: false, reapply: false, origin: { version: version(index), layout: "rookery" } as PlanStep["origin"], expandContract: false, databaseWarnings: [], type: "DDL Add", findings: [1, 2, 3, 4, 5, 6].map(finding) });
    const message = targetsPlanMessage("production", fleetResults(500, (index) => [step(index), step(index + 1)]));
    expect(messageViolation(message)).toBeUndefined();
    expect(JSON.stringify(message)).toContain("… 3 more findings: `rookery plan --env production --target tenants`");
    expect(JSON.stringify(message)).not.toContain("<!channel>");
  });
});
