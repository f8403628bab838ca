import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { columnsOf, ledgerRows } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("/migrate rollback --to VERSION rolls every later version back in one approved request", async () => {
  const harness = await startSlackHarness({
    label: "slack-rollback-to",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
      "2025_11_01/003_add_size.sql": "ALTER TABLE widgets ADD COLUMN size int;\n",
      "2025_11_01/rollback_003_add_size.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS size;\n",
    },
    environments: (databaseUrl) => ({ development: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });

  it("lists the versions on the request and rolls them back newest first after approval", async () => {
    await harness.command(USERS.requester, "apply all development");
    const apply = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, apply);
    expect((await waitForRequest(harness.control, apply.requestId, ["succeeded", "failed"])).status).toBe("succeeded");

    await harness.command(USERS.requester, "rollback --to 20251101_000001 development release 7 is withdrawn");
    const rollback = await harness.requestMessage(1);
    const posted = textOf(harness.fake.messages.get(`${rollback.channel}/${rollback.ts}`) as unknown as Record<string, unknown>);
    expect(posted).toContain("20251101_000003");
    expect(posted).toContain("20251101_000002");
    await harness.click(USERS.approver1, ACTION.approve, rollback);
    const done = await waitForRequest(harness.control, rollback.requestId, ["succeeded", "failed"]);
    expect(done.status, done.error ?? "").toBe("succeeded");
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id"]);
    expect((await ledgerRows(harness.databaseUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "rolled_back"],
      ["20251101_000003", "rolled_back"],
    ]);
    // The result in the thread names every version rolled back, not only the last one.
    const result = await harness.fake.waitForCall(
      (call) => call.method === "chat.postMessage" && call.body.thread_ts === rollback.ts && String(call.body.text).startsWith("Done"),
    );
    expect(result.body.text).toBe("Done: 2 rolled back");
    const shown = textOf(result.body);
    expect(shown).toContain("2 rolled back");
    expect(shown).toContain("`20251101_000003` rolled back");
    expect(shown).toContain("`20251101_000002` rolled back");
    expect(shown).toContain("release 7 is withdrawn");
  });

  it("says so when nothing after the version is applied, and wants a reason", async () => {
    const none = await harness.answer((await harness.command(USERS.requester, "rollback --to 20251101_000001 development nothing left")).responseId);
    expect(none.text).toContain("nothing to roll back: no version after 20251101_000001 is applied on development");
    const noReason = await harness.answer((await harness.command(USERS.requester, "rollback --to 20251101_000001 development")).responseId);
    expect(noReason.text).toContain("a reason is required");
  });
});
