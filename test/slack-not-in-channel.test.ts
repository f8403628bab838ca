import { describe, expect, it } from "vitest";
import { ledgerRows } from "./support/engine.ts";
import { query } from "./support/services.ts";
import { startSlackHarness, TEAM, USERS } from "./support/slack-app.ts";

describe("a request asked in a channel the bot cannot post to", async () => {
  const harness = await startSlackHarness({
    label: "slack-closed",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
    jobs: false,
  });

  it("is cancelled (nobody could click its buttons) and the requester is told to invite the bot", async () => {
    harness.fake.closedChannels.add("CPRIVATE");
    const { url, id } = harness.fake.newResponseUrl();
    await harness.sender.slashCommand({ userId: USERS.requester, teamId: TEAM, channelId: "CPRIVATE", text: "apply all production", responseUrl: url });
    const answer = (await harness.fake.waitForCall((call) => call.responseId === id)).body;
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain("could not post the request in this channel");
    expect(answer.text).toContain("not_in_channel");
    expect(answer.text).toContain("The request was cancelled. Invite the bot to the channel");
    expect(await query(harness.databaseUrl, "SELECT status FROM rookery_control.requests")).toEqual([{ status: "cancelled" }]);
    expect(await ledgerRows(harness.databaseUrl)).toEqual([]);
  });
});
