import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { eventsOf } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, slackEscaped, textOf, USERS } from "./support/slack-app.ts";
import { asRead, breakouts, textsOf } from "./support/slack-text.ts";

/** Text written to break formatting: mentions, links, every mrkdwn marker, a fence that would close the history table. */
const HOSTILE = "<!channel> <@U123> <!here> <https://evil.example|click me> *bold* _it_ ~gone~ `code` ``` fence ``` > quote";
const MARKERS = ["<!channel>", "<@U123>", "<!here>", "<https://evil", "*bold*", "_it_", "~gone~", "`code`"];
/** About 2,000 characters: too long for one section once `<` and `>` are escaped. */
const LONG_REASON = `${HOSTILE} ${"<!channel> ".repeat(170)}end of reason`.slice(0, 2000);

describe("text written to break formatting stays inert everywhere, and long reasons are shown whole", async () => {
  const harness = await startSlackHarness({
    label: "slack-hostile",
    migrations: {
      "2025_11_01/001_create_widgets.sql": `-- description: widgets ${HOSTILE}\nCREATE TABLE widgets (id bigint PRIMARY KEY);\n`,
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });
  const everyBreakout = () => harness.fake.calls.flatMap((call) => breakouts(call, MARKERS));

  it("a 2,000-character reason full of mentions and mrkdwn: inert on the message, whole in its thread, verbatim in the ledger", async () => {
    await harness.command(USERS.requester, "apply all production");
    const apply = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, apply);
    expect((await waitForRequest(harness.control, apply.requestId, ["succeeded", "failed"])).status).toBe("succeeded");

    await harness.command(USERS.requester, `rollback 20251101_000002 production ${slackEscaped(LONG_REASON)}`);
    const rollback = await harness.requestMessage(1);
    const message = harness.fake.messages.get(`${rollback.channel}/${rollback.ts}`)!;
    expect(textOf(message as unknown as Record<string, unknown>)).toContain("the whole reason is in the thread");
    const reply = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === rollback.ts);
    const whole = textsOf(reply.body).filter((text) => text.type === "mrkdwn").slice(1).map((text) => text.text).join("");
    expect(asRead(whole)).toContain(LONG_REASON);

    await harness.click(USERS.approver1, ACTION.approve, rollback);
    expect((await waitForRequest(harness.control, rollback.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    expect((await eventsOf(harness.databaseUrl, "20251101_000002")).find((event) => event.event === "rolled_back")?.reason).toBe(LONG_REASON);

    const history = await harness.answer((await harness.command(USERS.requester, "history production")).responseId);
    // The fence in the reason cannot close the history table: one monospace block, opened and closed by Rookery.
    const table = textsOf(history).find((text) => text.text.startsWith("```"))!.text;
    expect(table.split("```")).toHaveLength(3);
    expect(everyBreakout()).toEqual([]);
  });

  it("a reason of 1,990 `&` (9,950 characters as Slack sends it) is taken, not refused as a bad payload", async () => {
    const ampersands = "&".repeat(1990);
    const answer = await harness.command(USERS.requester, `rollback 20251101_000001 production ${slackEscaped(ampersands)}`);
    const request = await harness.requestMessage(2);
    expect(answer.status).toBe(200);
    const reply = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === request.ts);
    expect(asRead(textsOf(reply.body).map((text) => text.text).join(""))).toContain(ampersands);
    await harness.click(USERS.requester, ACTION.reject, request);
  });

  it("a freeze reason and a mistyped command cannot mention or format, in the blocks or the notification text", async () => {
    const frozen = await harness.answer((await harness.command(USERS.approver1, `freeze production ${slackEscaped(HOSTILE)}`)).responseId);
    expect(asRead(String(frozen.text))).toContain("<!channel>");
    const refused = await harness.answer((await harness.command(USERS.requester, "apply all production")).responseId);
    expect(refused.response_type).toBe("ephemeral");
    expect(asRead(textOf(refused))).toContain("*bold*");
    const typo = await harness.answer((await harness.command(USERS.requester, `status ${slackEscaped("<!channel>*x*")}`)).responseId);
    expect(typo.response_type).toBe("ephemeral");
    await harness.answer((await harness.command(USERS.approver1, "unfreeze production")).responseId);
    expect(everyBreakout()).toEqual([]);
    // No text anywhere carries a raw `<` of a user's (Rookery's own `<@U…>` and `<!date…>` are not the user's).
    const raw = harness.fake.calls.flatMap((call) => textsOf(call.body)).filter((text) => /<(!channel|!here|@U123|https)/.test(text.text));
    expect(raw).toEqual([]);
  });
});
