import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations, type HealthRow, type PlanStep, type VerifyReport } from "../src/runner/index.ts";
import { messageViolation } from "../src/slack/views/limits.ts";
import { targetsHealthMessage } from "../src/slack/views/targets-health-message.ts";
import { targetsPlanMessage } from "../src/slack/views/targets-plan-message.ts";
import { targetsVerifyMessage } from "../src/slack/views/targets-verify-message.ts";
import { migrationsFolder } from "./support/cli.ts";
import { fleetResults } from "./support/fleet-results.ts";
import { createTestDatabase, query } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const [oltp, content, acme, bolt, crane] = await Promise.all(["rdoltp", "rdcontent", "rdacme", "rdbolt", "rdcrane"].map((label) => createTestDatabase(label)));
// bolt already has the table the tenant migration creates, so applying it there fails.
await query(bolt!, "CREATE TABLE leads (id int)");

const oltpDir = migrationsFolder({
  "2025_11_01/001_accounts.sql": "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
});
const contentDir = migrationsFolder({
  "2025_11_02/001_articles.sql": "-- description: articles\nCREATE TABLE articles (id bigint PRIMARY KEY);\n",
  "2025_11_02/002_tags.sql": "-- description: tags\nCREATE TABLE tags (id bigint PRIMARY KEY);\n",
});
const tenantDir = migrationsFolder({
  "2025_11_03/001_leads.sql": "-- description: leads\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/rollback_001_leads.sql": "DROP TABLE IF EXISTS leads;\n",
});

describe("/migrate plan, verify and health across targets: every target read, a fleet summarised", async () => {
  const harness = await startSlackHarness({
    label: "slack-targets-read",
    migrations: { "2025_10_01/001_users.sql": "-- description: users\nCREATE TABLE users (id bigint PRIMARY KEY);\n" },
    environments: (databaseUrl) => ({
      staging: { databaseUrl },
      production: {
        databaseUrl: oltp,
        targets: {
          oltp: { databaseUrl: oltp, dir: oltpDir },
          content: { databaseUrl: content, dir: contentDir },
          tenants: { dir: tenantDir, fleet: { databases: [{ name: "acme", databaseUrl: acme }, { name: "bolt", databaseUrl: bolt }, { name: "crane", databaseUrl: crane }] } },
        },
        targetOrder: ["oltp", "content", "tenants"],
      },
    }),
  });
  const answer = async (text: string) => harness.answer((await harness.command(USERS.outsider, text)).responseId);
  const apply = (databaseUrl: string, dir: string) =>
    applyMigrations({ environment: { ...harness.config.environments.production!, databaseUrl }, catalog: readCatalog(dir), actor: "cli:tester" }).catch(() => undefined);

  it("plan lists each target's pending migrations, a fleet grouped by what each database would apply, and --target narrows", async () => {
    const plan = await answer("plan production");
    expect(plan.text).toBe("production: plan across 3 target(s)");
    const text = textOf(plan);
    expect(text).toContain("*oltp* — 1 pending, in this order:");
    expect(text).toContain("`20251101_000001` accounts");
    expect(text).toContain("*content* — 2 pending, in this order:");
    expect(text).toMatch(/`20251102_000001` articles _\(\*no rollback file\*\)_.*`20251102_000002` tags/);
    expect(text).toContain("*tenants* — fleet of 3");
    expect(text).toContain("3 would apply `20251103_000001` (acme, bolt, crane)");

    const narrowed = textOf(await answer("plan production --target content"));
    expect(narrowed).toContain("*content* — 2 pending");
    expect(narrowed).not.toContain("oltp");
    expect(narrowed).not.toContain("tenants");

    await apply(acme!, tenantDir);
    const after = textOf(await answer("plan production --target tenants"));
    expect(after).toContain("1 up to date (acme)");
    expect(after).toContain("2 would apply `20251103_000001` (bolt, crane)");
  });

  it("health shows a migration failed on one fleet database as one group naming it, beside healthy targets", async () => {
    await apply(oltp!, oltpDir);
    await apply(bolt!, tenantDir);
    await apply(crane!, tenantDir);
    const health = await answer("health production");
    expect(health.text).toBe("production: 1 need attention across targets");
    const text = textOf(health);
    expect(text).toContain(":large_green_circle: *oltp* — healthy (1 migrations in the ledger)");
    expect(text).toContain(":large_green_circle: *content* — healthy (0 migrations in the ledger)");
    expect(text).toContain(":red_circle: *tenants* — fleet of 3, 1 alert group(s)");
    expect(text).toContain("CRITICAL `20251103_000001` failed on 1 of 3 (bolt)");
    expect(text).not.toMatch(/(acme|crane)\)/);

    const status = textOf(await answer("status production --target tenants"));
    expect(status).toContain(":x: failed on 1: bolt 20251103_000001");
    expect(status).not.toContain("*oltp*");

    const narrowed = await answer("health production --target oltp");
    expect(narrowed.text).toBe("production: healthy across 1 target(s)");
  });

  it("verify names the target whose check fails, and the others pass", async () => {
    const passed = await answer("verify production");
    expect(passed.text).toBe("production: verification passed across 3 target(s)");
    expect(textOf(passed)).toContain(":white_check_mark: *tenants* — fleet of 3: 3 verified, 0 failed");

    // The applied accounts file edited afterwards: oltp's ledger no longer matches its folder.
    writeFileSync(path.join(oltpDir, "2025_11_01/001_accounts.sql"), "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n");
    const failed = await answer("verify production");
    expect(failed.text).toBe("production: verification failed across 3 target(s)");
    const text = textOf(failed);
    expect(text).toMatch(/:x: \*oltp\* — \*checksum_drift\* [^\n"]*20251101_000001/);
    expect(text).toContain(":white_check_mark: *content* — verified");
    expect(text).toContain(":white_check_mark: *tenants* — fleet of 3: 3 verified, 0 failed");
  });

  it("an environment without targets answers as before, and --target on it says it names nothing", async () => {
    const plan = await answer("plan staging");
    expect(plan.text).toBe("staging: 1 pending");
    expect(textOf(plan)).toContain("`20251001_000001` users");
    expect((await answer("health staging")).text).toBe("staging: healthy");
    expect((await answer("verify staging")).text).toBe("staging: verification passed");

    const refused = textOf(await answer("plan staging --target tenants"));
    expect(refused).toContain("environment staging has no targets, so --target tenants names nothing");
    const unknown = textOf(await answer("verify production --target nope"));
    expect(unknown).toContain('unknown target \\"nope\\" in production');
    expect(unknown).toContain("oltp, content, tenants");
  });
});

describe("answers across a fleet of 500 databases stay within Slack's limits, the rest counted", () => {
  const version = (index: number) => `2025110${index % 10}_0000${String(index % 60).padStart(2, "0")}`;

  it("plan: 54 different pending sets and 50 unreadable databases in one message Slack accepts", () => {
    const step = (index: number): PlanStep => ({ version: version(index), description: `<@U1> ${"d".repeat(300)}`, path: "x.sql", checksum: "c", hasRollback: false, outsideTransaction: false, reapply: false, origin: { version: version(index), layout: "rookery" } as PlanStep["origin"], expandContract: false, databaseWarnings: [] });
    const message = targetsPlanMessage("production", fleetResults(500, (index) => (index % 10 === 9 ? null : [step(index), step(index + 1)])));
    expect(messageViolation(message)).toBeUndefined();
    expect(JSON.stringify(message)).toContain("… and 44 more groups (360 databases)");
    expect(JSON.stringify(message)).toContain("… and 50 more versions: `rookery plan --env production --target tenants`");
    expect(JSON.stringify(message)).toContain(":warning: could not read 50: tenant-9, tenant-19");
    expect(JSON.stringify(message)).not.toContain("<@U1>");
  });

  it("verify: 500 failing databases, ten named with their checks, the rest counted", () => {
    const report: VerifyReport = { environment: "production", ok: false, checks: [{ name: "checksum_drift", status: "FAIL", details: `Drift: ${"y".repeat(2000)}` }] };
    const message = targetsVerifyMessage("production", undefined, fleetResults(500, () => report));
    expect(messageViolation(message)).toBeUndefined();
    expect(message.text).toBe("production: verification failed across 1 target(s)");
    expect(JSON.stringify(message)).toContain("0 verified, 500 failed");
    expect(JSON.stringify(message)).toContain("… and 490 more failing: tenant-10");
  });

  it("health: 60 alert groups over 500 databases, ten groups shown", () => {
    const row = (index: number): HealthRow => ({ version: version(index), description: "d", appliedAt: "2025-11-01T00:00:00Z", appliedBy: "cli:x", status: "failed", hoursSinceApplication: 1, healthStatus: "FAILED", alertLevel: "CRITICAL" });
    const message = targetsHealthMessage("production", fleetResults(500, (index) => [row(index)]));
    expect(messageViolation(message)).toBeUndefined();
    expect(JSON.stringify(message)).toContain("60 alert group(s)");
    expect(JSON.stringify(message)).toContain("… and 50 more groups");
  });
});
