import { describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { waitUntil } from "./support/queue.ts";
import { SLACK_MODES, startSlackHarness, TEAM, textOf, USERS } from "./support/slack-app.ts";

describe.each(SLACK_MODES)("the Home tab and the modals: open, validation error in the modal, submit (%s mode)", async (mode) => {
  const harness = await startSlackHarness({
    label: `slack-home-modals-${mode}`,
    mode,
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
    jobs: false,
  });
  const homeOf = (userId: string) => JSON.stringify(harness.fake.homes.get(userId) ?? {});
  const openHome = (userId: string) =>
    harness.sender.event({ teamId: TEAM, event: { type: "app_home_opened", user: userId, channel: "D1", tab: "home", event_ts: `${Date.now() / 1000}` } });

  it("app_home_opened publishes each environment's state and the requests waiting for this approver, with their buttons; it follows the request", async () => {
    await applyMigrations({ environment: harness.config.environments.production!, catalog: readCatalog(harness.config.migrationsDir), actor: "test" }, { versions: ["20251101_000001"] });
    await harness.command(USERS.requester, "apply 20251101_000002 production");
    const ref = await harness.requestMessage(0);
    expect((await openHome(USERS.approver1)).status).toBe(200);
    await waitUntil(async () => homeOf(USERS.approver1).includes("Waiting for your approval (1)"), "the approver's Home tab", 10_000);
    const home = homeOf(USERS.approver1);
    expect(home).toContain("current `20251101_000001` · pending 1 · failed 0 · drift 0");
    expect(home).toContain("always open");
    expect(home).toContain(ACTION.approve);
    expect(home).toContain(ref.requestId);

    // The requester's own request does not wait for them.
    await openHome(USERS.requester);
    await waitUntil(async () => homeOf(USERS.requester).includes("Nothing waits for your approval"), "the requester's Home tab", 10_000);

    // Approved from anywhere, the approver's Home tab no longer lists it.
    await harness.click(USERS.approver1, ACTION.approve, ref);
    await waitUntil(async () => homeOf(USERS.approver1).includes("Nothing waits for your approval"), "the Home tab refreshed", 10_000);
  });

  it("/migrate rollback without a reason opens a modal; a too-short reason is shown in the modal; submitted, the request is posted", async () => {
    const command = await harness.command(USERS.requester, "rollback 20251101_000001 production");
    expect(command.status).toBe(200);
    const modal = await harness.modal(0);
    expect(modal).toMatchObject({ type: "modal", callback_id: "rollback_reason" });
    expect(JSON.stringify(modal)).toContain("20251101_000001");

    expect(await harness.submitModal(USERS.requester, modal, { reason: "no" })).toMatchObject({
      response_action: "errors",
      errors: { reason: "A reason is required: say why it is rolled back." },
    });
    expect(await harness.submitModal(USERS.requester, modal, { reason: "widgets break the *checkout* <!here>" })).toEqual({});
    const rollback = await harness.requestMessage(1);
    const posted = textOf(harness.fake.messages.get(`${rollback.channel}/${rollback.ts}`) as unknown as Record<string, unknown>);
    expect(posted).toContain("Roll back 20251101_000001 on production");
    expect(posted).toContain("widgets break the ∗checkout∗ &lt;!here&gt;");
  });

  it("Reject on a rollback request asks why; the reason is shown on the message", async () => {
    const rollback = await harness.requestMessage(1);
    await harness.click(USERS.approver1, ACTION.reject, rollback);
    const modal = await harness.modal(1);
    expect(modal).toMatchObject({ callback_id: "reject_reason" });
    expect(await harness.submitModal(USERS.outsider, modal, { reason: "not me" })).toMatchObject({ response_action: "errors", errors: { reason: expect.stringContaining("not an approver") } });
    expect(await harness.submitModal(USERS.approver1, modal, { reason: "roll forward instead" })).toEqual({});
    const update = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === rollback.ts && textOf(call.body).includes("rejected"));
    expect(textOf(update.body)).toContain("roll forward instead");
  });

  it("a submission that outlasts Slack's 3 s closes the modal in time; its request is posted once, and a late refusal is told in the channel", async () => {
    // Slack is slow to answer the post of the request message: the work of the submission takes 4 s.
    await harness.command(USERS.requester, "rollback 20251101_000001 production");
    const modal = await harness.modal(2);
    harness.fake.answerLate("chat.postMessage", 4000);
    const started = Date.now();
    expect(await harness.submitModal(USERS.requester, modal, { reason: "the widgets page is blank" })).toEqual({});
    expect(Date.now() - started).toBeLessThan(3000);
    const posted = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && textOf(call.body).includes("the widgets page is blank"));
    const { rows } = await harness.control.query("SELECT count(*)::int AS n FROM rookery_control.requests WHERE reason = $1", ["the widgets page is blank"]);
    expect(rows[0].n).toBe(1);
    expect(posted.response.ok).toBe(true);

    // The same, and then Slack refuses the post: the request is cancelled and the requester is told in the channel.
    await harness.command(USERS.requester, "rollback 20251101_000001 production");
    const again = await harness.modal(3);
    harness.fake.answerLate("chat.postMessage", 4000);
    harness.fake.failNext("chat.postMessage", "channel_not_found");
    expect(await harness.submitModal(USERS.requester, again, { reason: "second try at it" })).toEqual({});
    const told = await harness.fake.waitForCall((call) => call.method === "chat.postEphemeral" && call.body.user === USERS.requester, 15_000);
    expect(textOf(told.body)).toContain("could not post the request in this channel");
  });
});
