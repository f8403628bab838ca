import pg from "pg";
import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { ledgerRows } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";
import { TYPE_CHANGE_HISTORY } from "./support/type-change-history.ts";

/** The approval gate lints what a request would run as `rookery lint` does: knowing the columns earlier migrations made. */
describe("the chat approval gate knows the schema the earlier migrations made", async () => {
  const harness = await startSlackHarness({
    label: "slack-lint-schema",
    migrations: TYPE_CHANGE_HISTORY,
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1, USERS.approver2], blockOn: ["error"] } }),
  });
  const messageText = (ref: { channel: string; ts: string }) =>
    textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);

  it("lets the widening of a varchar an applied migration created through, and still blocks int -> text", async () => {
    await harness.command(USERS.requester, "apply 20251101_000001 production");
    const first = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, first);
    expect((await waitForRequest(harness.control, first.requestId, ["succeeded", "failed"])).status).toBe("succeeded");

    await harness.command(USERS.requester, "apply 20251101_000002 production");
    const widen = await harness.requestMessage(1);
    expect(messageText(widen)).not.toContain("Blocked by lint findings");
    expect(messageText(widen)).not.toContain("changing-column-type");
    await harness.click(USERS.approver1, ACTION.approve, widen);
    expect((await waitForRequest(harness.control, widen.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    const client = new pg.Client({ connectionString: harness.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT character_maximum_length AS n FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'name'");
      expect(rows[0]?.n).toBe(200);
    } finally {
      await client.end();
    }

    await harness.command(USERS.requester, "apply 20251101_000003 production");
    const rewrite = await harness.requestMessage(2);
    expect(messageText(rewrite)).toContain("Blocked by lint findings");
    expect(messageText(rewrite)).toContain("changing-column-type");
    const refused = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, rewrite)).responseId);
    expect(refused.text).toContain("Lint findings block this request; nothing changed.");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001", "20251101_000002"]);
  });
});
