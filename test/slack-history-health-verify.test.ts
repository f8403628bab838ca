import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("/migrate history, health and verify after a change went through chat", async () => {
  const harness = await startSlackHarness({
    label: "slack-history",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });

  it("history lists the applied event with its Slack actor; health and verify report it; applying it again is refused", async () => {
    await harness.command(USERS.requester, "apply all production");
    const ref = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");

    const history = await harness.answer((await harness.command(USERS.outsider, "history production 5")).responseId);
    expect(history.response_type).toBe("in_channel");
    expect(history.text).toBe("production: last 1 events");
    expect(textOf(history)).toMatch(/20251101_000001\s+applied\s+slack:UREQUESTER/);

    const health = await harness.answer((await harness.command(USERS.outsider, "health")).responseId);
    expect(health.text).toBe("production: healthy");
    expect(textOf(health)).toContain("NEWLY_APPLIED");

    const verify = await harness.answer((await harness.command(USERS.outsider, "verify 20251101_000001")).responseId);
    expect(verify.text).toBe("production 20251101_000001: verification passed");

    const again = await harness.answer((await harness.command(USERS.requester, "apply 20251101_000001 production")).responseId);
    expect(again.response_type).toBe("ephemeral");
    expect(again.text).toContain("20251101_000001 is not pending on production (it is already applied)");
    expect(again.text).toContain("/migrate plan production");
  });
});
