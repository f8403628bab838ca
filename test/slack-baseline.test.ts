import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { ledgerRows } from "./support/engine.ts";
import { waitForRequest, waitUntil } from "./support/queue.ts";
import { query } from "./support/services.ts";
import { startSlackHarness, TEAM, textOf, USERS } from "./support/slack-app.ts";

describe("/migrate baseline records versions as applied without running them, after the environment's approvals", async () => {
  const harness = await startSlackHarness({
    label: "slack-baseline",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/002_add_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/003_add_size.sql": "ALTER TABLE widgets ADD COLUMN size int;\n",
      "2025_11_01/rollback_003_add_size.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS size;\n",
    },
    environments: (databaseUrl) => ({ development: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });

  it("posts a request, waits for approval, then records 001 and 002 with baselined events; apply all runs only 003", async () => {
    // Built before Rookery: running 001 and 002 again would fail.
    await query(harness.databaseUrl, "CREATE TABLE widgets (id bigint PRIMARY KEY, color text)");
    await harness.command(USERS.requester, "baseline 20251101_000002 development built by hand in 2019");
    const request = await harness.requestMessage(0);
    const posted = textOf(harness.fake.messages.get(`${request.channel}/${request.ts}`) as unknown as Record<string, unknown>);
    expect(posted).toContain("Baseline development up to 20251101_000002");
    // The approver's Home tab says what it is: a baseline, not a rollback.
    await harness.sender.event({ teamId: TEAM, event: { type: "app_home_opened", user: USERS.approver1, channel: "D1", tab: "home", event_ts: `${Date.now() / 1000}` } });
    await waitUntil(async () => JSON.stringify(harness.fake.homes.get(USERS.approver1) ?? {}).includes("Waiting for your approval (1)"), "the approver's Home tab", 10_000);
    const home = JSON.stringify(harness.fake.homes.get(USERS.approver1));
    expect(home).toContain("Baseline up to `20251101_000002` (record 2 version(s) as applied without running them)");
    expect(home).not.toContain("Roll back");
    expect(await query(harness.databaseUrl, "SELECT to_regclass('public.schema_migrations') IS NOT NULL AND EXISTS (SELECT 1 FROM schema_migrations) AS recorded")).toEqual([{ recorded: false }]);
    await harness.click(USERS.approver1, ACTION.approve, request);
    const done = await waitForRequest(harness.control, request.requestId, ["succeeded", "failed"]);
    expect(done.status, done.error ?? "").toBe("succeeded");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "applied"],
    ]);
    expect(await query(harness.databaseUrl, "SELECT version, reason FROM migration_events WHERE event = 'baselined' ORDER BY version")).toEqual([
      { version: "20251101_000001", reason: "built by hand in 2019" },
      { version: "20251101_000002", reason: "built by hand in 2019" },
    ]);
    await harness.command(USERS.requester, "apply all development");
    const apply = await harness.requestMessage(1);
    await harness.click(USERS.approver1, ACTION.approve, apply);
    expect((await waitForRequest(harness.control, apply.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001", "20251101_000002", "20251101_000003"]);
  });

  it("says why not: nothing left to baseline, or no such version", async () => {
    const none = await harness.answer((await harness.command(USERS.requester, "baseline 20251101_000002 development again please")).responseId);
    expect(none.text).toContain("nothing to baseline: every version up to 20251101_000002 is already recorded on development");
    const unknown = await harness.answer((await harness.command(USERS.requester, "baseline 20251109_000001 development typo")).responseId);
    expect(unknown.text).toContain("there is no migration 20251109_000001");
  });
});
