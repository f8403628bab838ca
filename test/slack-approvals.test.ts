import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { columnsOf, ledgerRows } from "./support/engine.ts";
import { waitForAudit, waitForRequest } from "./support/queue.ts";
import { SLACK_MODES, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe.each(SLACK_MODES)("apply through approvals: who may click, and what each click changes (%s mode)", async (mode) => {
  const harness = await startSlackHarness({
    label: `slack-approvals-${mode}`,
    mode,
    migrations: {
      "2025_11_01/001_create_widgets.sql": "-- description: widgets table\nCREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_widget_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_widget_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
      "2025_11_01/003_add_widget_size.sql": "ALTER TABLE widgets ADD COLUMN size integer;\n",
      "2025_11_01/rollback_003_add_widget_size.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS size;\n",
    },
    environments: (databaseUrl) => ({
      production: { databaseUrl, approvals: 2, approvers: [USERS.approver1, "SAPPROVERS"], expiresMinutes: 60 },
      // Same database, one approval, requests that expire at once.
      hurried: { databaseUrl, approvals: 1, approvers: [USERS.approver1], expiresMinutes: 0.0001 },
    }),
  });
  const messageOf = (ref: { channel: string; ts: string }) => harness.fake.messages.get(`${ref.channel}/${ref.ts}`)!;

  it("posts a request with what will run and Approve/Reject buttons; only approvers, never the requester, count", async () => {
    await harness.command(USERS.requester, "apply 20251101_000001 production");
    const ref = await harness.requestMessage(0);
    const posted = textOf(messageOf(ref) as unknown as Record<string, unknown>);
    expect(posted).toContain("20251101_000001");
    expect(posted).toContain("widgets table");
    expect(posted).toContain("rollback available");
    expect(posted).toContain("waiting for approval (0 of 2)");
    expect(posted).toContain("The last approval runs it at once");

    const own = await harness.answer((await harness.click(USERS.requester, ACTION.approve, ref)).responseId);
    expect(own.response_type).toBe("ephemeral");
    expect(own.text).toContain("cannot approve your own request");

    const outsider = await harness.answer((await harness.click(USERS.outsider, ACTION.approve, ref)).responseId);
    expect(outsider.text).toContain("not an approver for production");

    const first = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, ref)).responseId);
    expect(first.text).toContain("Approval counted: 1 of 2");
    expect(textOf(messageOf(ref) as unknown as Record<string, unknown>)).toContain("waiting for approval (1 of 2)");

    const twice = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, ref)).responseId);
    expect(twice.text).toContain("already approved");
    expect(await ledgerRows(harness.databaseUrl)).toEqual([]);

    // The second approver is one through the user group SAPPROVERS (usergroups.users.list).
    await harness.click(USERS.approver2, ACTION.approve, ref);
    const done = await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => [row.version, row.status, row.applied_by])).toEqual([
      ["20251101_000001", "applied", `slack:${USERS.requester}`],
    ]);
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id"]);

    // The message was edited in place to the result, the details went to its thread.
    await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(":white_check_mark: done"));
    const result = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === ref.ts && textOf(call.body).includes("applied in"));
    expect(textOf(result.body)).toMatch(/20251101_000001` applied in \d+\.\d s/);

    const late = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, ref)).responseId);
    expect(late.text).toContain("already succeeded; nothing changed");

    await waitForAudit(harness.control, ref.requestId, (entry) => `${entry.actor} ${entry.action} ${String(entry.detail.outcome ?? "")}`.trim(), [
      `${USERS.requester} request.apply`,
      `${USERS.requester} button.approve own_request`,
      `${USERS.outsider} button.approve not_an_approver`,
      `${USERS.approver1} button.approve counted`,
      `${USERS.approver1} button.approve duplicate`,
      `${USERS.approver2} button.approve approved`,
      "worker job.succeeded",
      `${USERS.approver1} button.approve not_pending`,
    ]);
  });

  it("a rejected request never runs, and later clicks say it was rejected", async () => {
    await harness.command(USERS.requester, "apply 20251101_000002 production");
    const ref = await harness.requestMessage(1);
    const rejected = await harness.click(USERS.approver1, ACTION.reject, ref);
    expect(rejected.status).toBe(200);
    // Reject asks why in a modal; an empty reason is refused in the modal itself and nothing changes.
    const modal = await harness.modal(0);
    expect(await harness.submitModal(USERS.approver1, modal, { reason: " " })).toMatchObject({ response_action: "errors", errors: { reason: expect.stringContaining("Say why") } });
    expect((await waitForRequest(harness.control, ref.requestId, ["pending"])).status).toBe("pending");
    expect(await harness.submitModal(USERS.approver1, modal, { reason: "needs an index first <!channel>" })).toEqual({});
    const update = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes("rejected"));
    expect(textOf(update.body)).toContain("needs an index first &lt;!channel&gt;");

    const after = await harness.answer((await harness.click(USERS.approver2, ACTION.approve, ref)).responseId);
    expect(after.text).toContain("already rejected; nothing changed");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001"]);
  });

  it("a click after expiry changes nothing and says the request expired", async () => {
    await harness.command(USERS.requester, "apply 20251101_000003 hurried");
    const ref = await harness.requestMessage(2);
    const expired = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, ref)).responseId);
    expect(expired.text).toContain("has expired; nothing changed");
    await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes("expired"));
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001"]);
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id"]);
  });

  it("a click that reaches Rookery before Slack's reply to the post still updates the request message", async () => {
    // The message is in the channel for 2 s before the app learns its ts: an approver clicks in that time.
    harness.fake.answerLate("chat.postMessage", 2000);
    await harness.command(USERS.requester, "apply 20251101_000003 production");
    const ref = await harness.requestMessage(3);
    const counted = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, ref)).responseId);
    expect(counted.text).toContain("Approval counted: 1 of 2");
    const update = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts);
    expect(textOf(update.body)).toContain("waiting for approval (1 of 2)");
    expect(textOf(messageOf(ref) as unknown as Record<string, unknown>)).toContain("waiting for approval (1 of 2)");
  });
});
