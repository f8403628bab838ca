import { describe, expect, it } from "vitest";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { writeMigration } from "./support/cli.ts";
import { ledgerRows } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { query } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("the checksum is pinned when the request is made", async () => {
  const harness = await startSlackHarness({
    label: "slack-edited",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });

  it("a file edited between request and approval is refused by the job; nothing is applied and the message says why", async () => {
    await harness.command(USERS.requester, "apply 20251101_000001 production");
    const ref = await harness.requestMessage(0);

    writeMigration(harness.config.migrationsDir, "2025_11_01/001_create_widgets.sql", "CREATE TABLE widgets (id bigint PRIMARY KEY, secret text);\n");
    await harness.click(USERS.approver1, ACTION.approve, ref);

    const failed = await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("changed since it was approved");
    expect(await ledgerRows(harness.databaseUrl)).toEqual([]);
    expect(await query(harness.databaseUrl, "SELECT to_regclass('public.widgets') AS widgets")).toEqual([{ widgets: null }]);

    const update = await harness.fake.waitForCall(
      (call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(":x: failed"),
    );
    expect(textOf(update.body)).toContain("the file changed since this request: the job will refuse it");
    expect(textOf(update.body)).toContain("changed since it was approved");
  });
});
