import { describe, expect, it } from "vitest";
import { createJobQueue } from "../src/queue/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { ledgerRows } from "./support/engine.ts";
import { waitForRequest, waitUntil } from "./support/queue.ts";
import { ALERT_CHANNEL, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("a failed apply: the message offers a rollback request, the alert channel hears of it once", async () => {
  const harness = await startSlackHarness({
    label: "slack-alert",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_fill_widgets.sql": "INSERT INTO widgets (id) SELECT 1 / 0;\n",
      "2025_11_01/rollback_002_fill_widgets.sql": "DELETE FROM widgets WHERE id = 1;\n",
    },
    // approvals 0: development applies at once, as the document wants.
    environments: (databaseUrl) => ({ development: { databaseUrl, alertChannel: ALERT_CHANNEL, healthPollSeconds: 3600 } }),
  });
  const queue = createJobQueue(harness.config.redisUrl, harness.config.queuePrefix);

  async function pollHealth(): Promise<void> {
    const job = await queue.add("health-poll", { environment: "development" });
    await waitUntil(async () => ["completed", "failed"].includes(await job.getState()), "the health poll");
  }

  it("runs at once with no approval, fails on the SQL error and says so in place, with a Request rollback button", async () => {
    await harness.command(USERS.requester, "apply all development");
    const ref = await harness.requestMessage(0);
    const failed = await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("division by zero");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "failed"],
    ]);
    const update = await harness.fake.waitForCall(
      (call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(ACTION.requestRollback),
    );
    expect(textOf(update.body)).toContain("division by zero");

    // The button asks to roll back what of the request did get applied: 001 (002 left nothing behind).
    // It asks for the reason in a modal first.
    await harness.click(USERS.requester, ACTION.requestRollback, ref);
    const modal = await harness.modal(0);
    expect(await harness.submitModal(USERS.requester, modal, { reason: "ok" })).toMatchObject({ response_action: "errors", errors: { reason: expect.stringContaining("reason is required") } });
    expect(await harness.submitModal(USERS.requester, modal, { reason: "the fill broke checkout" })).toEqual({});
    const rollback = await harness.requestMessage(1);
    const posted = textOf(harness.fake.messages.get(`${rollback.channel}/${rollback.ts}`) as unknown as Record<string, unknown>);
    expect(posted).toContain("Roll back 20251101_000001 on development");
    expect(posted).toContain(`after failed request ${ref.requestId.slice(0, 8)}`);
  });

  it("posts the CRITICAL state of the failed migration to alertChannel once over several polls, with a suggested command", async () => {
    await pollHealth();
    await pollHealth();
    await pollHealth();
    const alerts = harness.fake.callsTo("chat.postMessage").filter((call) => call.body.channel === ALERT_CHANNEL);
    const failedAlerts = alerts.filter((call) => String(call.body.text).includes("20251101_000002"));
    expect(failedAlerts).toHaveLength(1);
    const alert = textOf(failedAlerts[0]!.body);
    expect(alert).toContain("CRITICAL");
    expect(alert).toContain("development");
    expect(alert).toMatch(/age \d+ min/);
    expect(alert).toContain("next:");
  });

  it("closes its queue", async () => {
    await queue.close();
  });
});
