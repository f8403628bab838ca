import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/runner/index.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { waitUntil } from "../support/queue.ts";
import { query } from "../support/services.ts";
import { startSlackHarness, TEAM, textOf, USERS } from "../support/slack-app.ts";

const VERSION = "20251201_000001";
const SETUP = "CREATE TABLE invoices (id bigint PRIMARY KEY, total integer NOT NULL); INSERT INTO invoices SELECT g, g FROM generate_series(1, 2500) g; ANALYZE invoices";

describe("an expanded version is visible in chat: the Home tab and the complete request show since when and the backfill", async () => {
  const harness = await startSlackHarness({
    label: "exp-visible",
    migrations: { "2025_12_01/001_total_bigint.sql": "-- rookery:expand-contract\nALTER TABLE invoices ALTER COLUMN total TYPE bigint;\n" },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
    jobs: false,
  });
  await query(harness.databaseUrl, SETUP);
  const homeOf = (userId: string) => JSON.stringify(harness.fake.homes.get(userId) ?? {});
  const openHome = (userId: string) =>
    harness.sender.event({ teamId: TEAM, event: { type: "app_home_opened", user: userId, channel: "D1", tab: "home", event_ts: `${Date.now() / 1000}` } });
  const expandedSince = async () => {
    const [row] = await query<{ expanded_at: Date }>(harness.databaseUrl, "SELECT expanded_at FROM rookery_expansions WHERE version = $1 AND state = 'expanded'", [VERSION]);
    return `${row!.expanded_at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  };

  it("after an expand, the Home tab published for a user shows the version as expanded, since when, and its backfill rows", async () => {
    const report = await applyMigrations(runContext(testEnvironment(harness.databaseUrl), harness.config.migrationsDir), { versions: [VERSION] });
    expect(report.failed).toBeUndefined();
    expect((await openHome(USERS.requester)).status).toBe(200);
    await waitUntil(async () => homeOf(USERS.requester).includes("*expanded*"), "the Home tab with the expansion", 10_000);
    const home = homeOf(USERS.requester);
    expect(home).toContain(`\`${VERSION}\` *expanded* since ${await expandedSince()}`);
    expect(home).toContain(`schema \`rookery_${VERSION}\``);
    expect(home).toContain("backfill invoices 2500/~2500 rows done");
  });

  it("the request message of `/migrate complete` shows the expansion it contracts, with its backfill", async () => {
    await harness.command(USERS.requester, `complete ${VERSION} production`);
    const ref = await harness.requestMessage(0);
    const message = textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);
    expect(message).toContain(`Complete ${VERSION}`);
    expect(message).toContain(`\`${VERSION}\` *expanded* since ${await expandedSince()}`);
    expect(message).toContain("backfill invoices 2500/~2500 rows done");
    // Nothing ran: the request waits for its approval.
    expect(await query(harness.databaseUrl, "SELECT state FROM rookery_expansions WHERE version = $1", [VERSION])).toEqual([{ state: "expanded" }]);
  });
});
