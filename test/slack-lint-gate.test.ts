import { describe, expect, it } from "vitest";
import { listAudit } from "../src/requests/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { ledgerRows } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("lint findings in blockOn hold a request until an approver overrides them, on the record", async () => {
  const harness = await startSlackHarness({
    label: "slack-lint",
    migrations: {
      // With a row: the gate lints as `rookery lint` does, and an empty live table locks nobody worth a finding.
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\nINSERT INTO widgets VALUES (1);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      // Locks writes on a live table with rows: require-concurrent-index-creation, an error.
      "2025_11_01/002_index_widgets.sql": "CREATE INDEX widgets_id_idx ON widgets (id);\n",
      "2025_11_01/rollback_002_index_widgets.sql": "DROP INDEX IF EXISTS widgets_id_idx;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1, USERS.approver2], blockOn: ["error"] } }),
  });
  const messageText = (ref: { channel: string; ts: string }) =>
    textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);

  it("shows the findings, refuses approval and an outsider's override, then applies after an audited override", async () => {
    await harness.command(USERS.requester, "apply 20251101_000001 production");
    const first = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, first);
    expect((await waitForRequest(harness.control, first.requestId, ["succeeded", "failed"])).status).toBe("succeeded");

    await harness.command(USERS.requester, "apply 20251101_000002 production");
    const ref = await harness.requestMessage(1);
    expect(messageText(ref)).toContain("Blocked by lint findings");
    expect(messageText(ref)).toContain("require-concurrent-index-creation");
    expect(messageText(ref)).toContain(ACTION.override);

    const blocked = await harness.answer((await harness.click(USERS.approver1, ACTION.approve, ref)).responseId);
    expect(blocked.text).toContain("Lint findings block this request; nothing changed.");
    const outsider = await harness.answer((await harness.click(USERS.outsider, ACTION.override, ref)).responseId);
    expect(outsider.text).toContain("Only an approver for production can override lint findings");

    await harness.click(USERS.approver2, ACTION.override, ref);
    await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes("lint findings overridden by"));
    expect(messageText(ref)).not.toContain(ACTION.override);

    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.version)).toEqual(["20251101_000001", "20251101_000002"]);

    const audit = await listAudit(harness.control, { requestId: ref.requestId });
    const override = audit.find((entry) => entry.action === "lint.override");
    expect(override?.actor).toBe(USERS.approver2);
    expect(JSON.stringify(override?.detail)).toContain("require-concurrent-index-creation");
  });
});
