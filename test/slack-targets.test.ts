import { describe, expect, it } from "vitest";
import { listTargetRuns } from "../src/requests/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { migrationsFolder } from "./support/cli.ts";
import { waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const [oltp, acme, bolt, crane] = await Promise.all(["sloltp", "slacme", "slbolt", "slcrane"].map((label) => createTestDatabase(label)));
await query(bolt!, "CREATE TABLE leads (id int)");

describe("/migrate apply all across targets: one request, one approval, one live summary", async () => {
  const harness = await startSlackHarness({
    label: "slack-targets",
    migrations: {},
    environments: () => ({
      production: {
        databaseUrl: oltp,
        approvals: 1,
        approvers: [USERS.approver1],
        targets: {
          oltp: { databaseUrl: oltp, dir: migrationsFolder({
            "2025_11_01/001_accounts.sql": "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n",
            "2025_11_01/rollback_001_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
          }) },
          tenants: {
            dir: migrationsFolder({
              "2025_11_03/001_leads.sql": "-- description: leads\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
              "2025_11_03/rollback_001_leads.sql": "DROP TABLE IF EXISTS leads;\n",
            }),
            fleet: { databases: [{ name: "acme", databaseUrl: acme }, { name: "bolt", databaseUrl: bolt }, { name: "crane", databaseUrl: crane }], canary: 1, waveSize: 1 },
          },
        },
        targetOrder: ["oltp", "tenants"],
      },
    }),
  });
  const textAt = (ref: { channel: string; ts: string }) => textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);
  const threadOf = (ref: { ts: string }) =>
    harness.fake.calls.filter((call) => call.method === "chat.postMessage" && call.body.thread_ts === ref.ts).map((call) => textOf(call.body)).join("\n");

  it("runs every target after one approval, halts on the broken database, and carries on after /migrate resume", async () => {
    await harness.command(USERS.requester, "apply all production");
    const ref = await harness.requestMessage(0);
    expect(textAt(ref)).toContain("20251101_000001");
    expect(textAt(ref)).toContain("20251103_000001");
    expect(textAt(ref)).not.toContain("no longer in the migrations folder");

    await harness.click(USERS.approver1, ACTION.approve, ref);
    const failed = await waitForRequest(harness.control, ref.requestId, ["failed", "succeeded"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/Failed: tenants\/bolt\. Not started: 1 \(tenants\/crane\)/);
    await waitUntil(async () => threadOf(ref).includes("tenants: wave 2/3, 1 done, 1 failed, 0 running, 1 pending"), "the summary in the thread");
    expect(threadOf(ref)).toMatch(/failed bolt: 20251103_000001: .*relation \\"leads\\" already exists/);
    await waitUntil(async () => /failed\*[\s\S]*Failed: tenants\/bolt/.test(textAt(ref)), "the request message to show the failure");

    // Status of the fleet: how many databases at which version, and the failure named.
    const status = textOf(await harness.answer((await harness.command(USERS.requester, "status production")).responseId));
    expect(status).toContain("*oltp* — `20251101_000001` · pending 0 · failed 0 · drift 0");
    expect(status).toContain("*tenants* — fleet of 3");
    expect(status).toContain("`20251103_000001`: 1 (acme)");
    expect(status).toContain("`none`: 2 (bolt, crane)");
    expect(status).toContain(":x: failed on 1: bolt 20251103_000001");

    await query(bolt!, "DROP TABLE leads");
    const refused = await harness.answer((await harness.command(USERS.outsider, `resume ${ref.requestId}`)).responseId);
    expect(String(refused.text)).toContain("Only the requester or production's approvers");
    // The id as the request message shows it: its first eight characters.
    const shown = /request `([0-9a-f]{8})`/.exec(textAt(ref))![1]!;
    await harness.command(USERS.requester, `resume ${shown}`);
    const done = await waitForRequest(harness.control, ref.requestId, ["succeeded"], 60_000);
    expect(done.status).toBe("succeeded");
    const runs = await listTargetRuns(harness.control, ref.requestId);
    expect(runs.map((run) => `${run.target}/${run.database}:${run.status}:${run.attempts}`)).toEqual([
      "oltp/oltp:applied:1",
      "tenants/acme:applied:1",
      "tenants/bolt:applied:2",
      "tenants/crane:applied:1",
    ]);
    await waitUntil(async () => threadOf(ref).includes("tenants: wave 3/3, 3 done, 0 failed"), "the final summary in the thread");
  });
});
