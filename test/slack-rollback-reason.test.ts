import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { columnsOf, eventsOf, ledgerRows } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const REASON = `it's "broken" — O'Brien said: 'drop it'; DROP TABLE widgets; -- \\ $1 <@U999> & done`;

describe("/migrate rollback keeps its reason verbatim, quotes and all, as data", async () => {
  const harness = await startSlackHarness({
    label: "slack-rollback",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_widget_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_widget_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
    },
    environments: (databaseUrl) => ({ development: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });

  it("refuses a rollback of something not applied, saying there is nothing to roll back", async () => {
    const answer = await harness.answer((await harness.command(USERS.requester, `rollback 20251101_000002 development ${REASON}`)).responseId);
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain("nothing to roll back: 20251101_000002 is not applied on development");
  });

  it("rolls back after approval; the reason reaches the ledger exactly as typed (Slack-escaped on the wire)", async () => {
    await harness.command(USERS.requester, "apply all development");
    const apply = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, apply);
    expect((await waitForRequest(harness.control, apply.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id", "color"]);

    // Slack escapes &, < and > in the command text; the app turns them back.
    const onTheWire = REASON.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    await harness.command(USERS.requester, `rollback 20251101_000002 development ${onTheWire}`);
    const rollback = await harness.requestMessage(1);
    const posted = textOf(harness.fake.messages.get(`${rollback.channel}/${rollback.ts}`) as unknown as Record<string, unknown>);
    expect(posted).toContain("Roll back 20251101_000002 on development");
    expect(posted).toContain("RECENT_MIGRATION_CAUTION");
    // Shown escaped, so the reason cannot mention anyone or break the message.
    expect(posted).toContain("&lt;@U999&gt; &amp; done");

    await harness.click(USERS.approver1, ACTION.approve, rollback);
    const done = await waitForRequest(harness.control, rollback.requestId, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect(done.reason).toBe(REASON);
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id"]);
    const events = await eventsOf(harness.databaseUrl, "20251101_000002");
    expect(events.find((event) => event.event === "rolled_back")?.reason).toBe(REASON);
    expect((await ledgerRows(harness.databaseUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "rolled_back"],
    ]);
  });
});
