import { describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import type { StatsReport } from "../src/runner/stats.ts";
import type { HistoryEvent } from "../src/runner/types.ts";
import { messageViolation } from "../src/slack/views/limits.ts";
import { targetsHistoryMessage } from "../src/slack/views/targets-history-message.ts";
import { targetsStatsMessage } from "../src/slack/views/targets-stats-message.ts";
import { ledgerRows } from "./support/engine.ts";
import { migrationsFolder } from "./support/cli.ts";
import { fleetResults } from "./support/fleet-results.ts";
import { createTestDatabase } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const [oltp, acme, bolt, crane] = await Promise.all(["hsoltp", "hsacme", "hsbolt", "hscrane"].map((label) => createTestDatabase(label)));

const oltpDir = migrationsFolder({
  "2025_11_01/001_accounts.sql": "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_accounts.sql": "DROP TABLE accounts;\n",
});
const tenantDir = migrationsFolder({
  "2025_11_03/001_leads.sql": "-- description: leads\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/rollback_001_leads.sql": "DROP TABLE leads;\n",
});

describe("/migrate history, stats and rehearse across targets: every target read, a fleet summarised", async () => {
  const harness = await startSlackHarness({
    label: "slack-targets-hs",
    migrations: {},
    environments: () => ({
      staging: {
        databaseUrl: oltp,
        targets: {
          oltp: { databaseUrl: oltp, dir: oltpDir },
          tenants: { dir: tenantDir, fleet: { databases: [{ name: "acme", databaseUrl: acme }, { name: "bolt", databaseUrl: bolt }, { name: "crane", databaseUrl: crane }] } },
        },
        targetOrder: ["oltp", "tenants"],
      },
    }),
    jobs: false,
  });
  const answer = async (text: string) => harness.answer((await harness.command(USERS.requester, text)).responseId);
  const apply = (databaseUrl: string, dir: string, actor: string) =>
    applyMigrations({ environment: { ...harness.config.environments.staging!, databaseUrl }, catalog: readCatalog(dir), actor });
  await apply(oltp!, oltpDir, "cli:olga");
  await apply(bolt!, tenantDir, "cli:bea");
  await apply(crane!, tenantDir, "cli:carl");

  it("history lists each target's events and a fleet's merged into one list naming each database; --target narrows", async () => {
    const history = await answer("history staging");
    expect(history.text).toBe("staging: history across 2 target(s)");
    const text = textOf(history);
    expect(text).toContain("*oltp* — last 1 event(s), newest first");
    expect(text).toMatch(/`20251101_000001` applied by cli:olga/);
    expect(text).toContain("*tenants* — fleet of 3: last 2 event(s) across its databases, newest first");
    expect(text).toMatch(/crane · `20251103_000001` applied by cli:carl[\s\S]*bolt · `20251103_000001` applied by cli:bea/);
    expect(text).not.toContain("acme ·");

    const narrowed = textOf(await answer("history staging 1 --target tenants"));
    expect(narrowed).toContain("*tenants* — fleet of 3: last 1 event(s)");
    expect(narrowed).toContain("crane ·");
    expect(narrowed).not.toContain("bolt ·");
    expect(narrowed).not.toContain("*oltp*");
  });

  it("stats adds up every target, a fleet over its databases with the busiest named, and charts one series per target", async () => {
    const stats = await answer("stats staging");
    expect(stats.text).toBe("staging, last 30 days across 2 target(s): 3 applied, 0 failed, 0 rolled back");
    const text = textOf(stats);
    expect(text).toContain("*oltp* — 1 applied, 0 failed, 0 rolled back · applied per day");
    expect(text).toContain("*tenants* — fleet of 3 — 2 applied, 0 failed, 0 rolled back");
    expect(text).toMatch(/busiest: (bolt|crane) \(1 applied\)/);
    await harness.fake.waitForCall((call) => call.method === "files.completeUploadExternal", 20_000);
    expect([...harness.fake.files.values()].map((file) => file.filename)).toContain("rookery-stats-staging.png");

    const narrowed = await answer("stats staging --target oltp");
    expect(narrowed.text).toBe("staging, last 30 days across 1 target(s): 1 applied, 0 failed, 0 rolled back");
  });

  it("rehearse runs the version on the target holding it, a fleet's on its first database, and leaves nothing applied", async () => {
    await harness.command(USERS.requester, "rehearse 20251103_000001 staging");
    const started = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && textOf(call.body).includes("Rehearsing"));
    const updated = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === started.response.ts, 60_000);
    expect(updated.body.text).toBe("Rehearsal of 20251103_000001 on staging: done");
    expect(textOf(updated.body)).toContain("on tenants/acme, the fleet's first database of 3 (they share one folder)");
    expect(textOf(updated.body)).toContain("rolled back: yes");
    expect((await ledgerRows(acme!)).map((row) => `${row.version}:${row.status}`)).toEqual(["20251103_000001:rolled_back"]);
    expect((await ledgerRows(oltp!)).map((row) => `${row.version}:${row.status}`)).toEqual(["20251101_000001:applied"]);

    const unknown = textOf(await answer("rehearse 20251109_000001 staging"));
    expect(unknown).toContain("there is no migration 20251109_000001 in the folder of any target of staging (oltp, tenants)");
  }, 90_000);
});

describe("history and stats across a fleet of 500 databases stay within Slack's limits", () => {

  it("history: 100 events merged out of 500 databases, hostile reasons inert, one message Slack accepts", () => {
    const event = (index: number): HistoryEvent => ({ at: `2025-11-0${1 + (index % 9)}T10:00:00Z`, version: "20251103_000001", event: "applied", actor: `slack:U${index}`, reason: `<!here> *bold* ${"r".repeat(300)}`, detail: {} });
    const message = targetsHistoryMessage("staging", fleetResults(500, (index) => (index % 10 === 9 ? null : [event(index), event(index + 1)])), 100);
    expect(messageViolation(message)).toBeUndefined();
    expect(JSON.stringify(message)).toContain("fleet of 500: last 100 event(s)");
    expect(JSON.stringify(message)).toContain(":warning: could not read 50: tenant-9, tenant-19");
    expect(JSON.stringify(message)).not.toContain("<!here>");
  });

  it("stats: 500 databases added up in one line", () => {
    const report = (index: number): StatsReport => ({ environment: "staging", days: 30, totals: { applied: index % 3, failed: 0, rolledBack: 0 }, hours: [], appliedPerDay: Array.from({ length: 30 }, (_, day) => (day === 29 ? index % 3 : 0)) });
    const message = targetsStatsMessage("staging", fleetResults(500, report), 30);
    expect(messageViolation(message)).toBeUndefined();
    expect(message.text).toBe("staging, last 30 days across 1 target(s): 499 applied, 0 failed, 0 rolled back");
    expect(JSON.stringify(message)).toContain("busiest: tenant-2 (2 applied)");
  });
});
