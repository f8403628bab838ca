import { describe, expect, it } from "vitest";
import { listTargetRuns } from "../src/requests/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { appliedVersions } from "./support/engine.ts";
import { migrationsFolder } from "./support/cli.ts";
import { waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const [oltp, content, acme, bolt, crane] = await Promise.all(["svoltp", "svcontent", "svacme", "svbolt", "svcrane"].map((label) => createTestDatabase(label)));

describe("/migrate apply <version> on an environment with targets: one request, one approval, on the target holding it", async () => {
  const harness = await startSlackHarness({
    label: "slack-targets-version",
    migrations: {},
    environments: () => ({
      production: {
        databaseUrl: oltp,
        approvals: 1,
        approvers: [USERS.approver1],
        targets: {
          oltp: { databaseUrl: oltp, dir: migrationsFolder({ "2025_11_01/001_accounts.sql": "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n", "2025_11_01/rollback_001_accounts.sql": "DROP TABLE accounts;\n" }) },
          // content reuses oltp's version number: two folders, two ledgers.
          content: { databaseUrl: content, dir: migrationsFolder({ "2025_11_01/001_pages.sql": "-- description: pages\nCREATE TABLE pages (id bigint PRIMARY KEY);\n", "2025_11_01/rollback_001_pages.sql": "DROP TABLE pages;\n" }) },
          tenants: {
            dir: migrationsFolder({
              "2025_11_03/001_leads.sql": "-- description: leads\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
              "2025_11_03/rollback_001_leads.sql": "DROP TABLE leads;\n",
              "2025_11_03/002_notes.sql": "-- description: notes\nCREATE TABLE notes (id bigint PRIMARY KEY);\n",
              "2025_11_03/rollback_002_notes.sql": "DROP TABLE notes;\n",
            }),
            fleet: { databases: [{ name: "acme", databaseUrl: acme }, { name: "bolt", databaseUrl: bolt }, { name: "crane", databaseUrl: crane }], canary: 1, waveSize: 2 },
          },
        },
        targetOrder: ["oltp", "content", "tenants"],
      },
    }),
  });
  const textAt = (ref: { channel: string; ts: string }) => textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);
  const requestCount = async () => Number((await harness.control.query("SELECT count(*) FROM rookery_control.requests")).rows[0].count);
  const refusal = async (text: string) => textOf(await harness.answer((await harness.command(USERS.requester, text)).responseId));

  it("a fleet's version runs across its databases in waves after one approval, and only there", async () => {
    await harness.command(USERS.requester, "apply 20251103_000001 production");
    const ref = await harness.requestMessage(0);
    expect(textAt(ref)).toContain("Apply 20251103_000001 on production");
    expect(textAt(ref)).toContain("on *tenants*");
    expect(textAt(ref)).not.toContain("20251103_000002");

    await harness.click(USERS.approver1, ACTION.approve, ref);
    const done = await waitForRequest(harness.control, ref.requestId, ["failed", "succeeded"], 60_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("succeeded");
    const runs = await listTargetRuns(harness.control, ref.requestId);
    expect(runs.map((run) => `${run.target}/${run.database}:wave ${run.wave}:${run.status}:${run.applied.join(",")}`)).toEqual([
      "tenants/acme:wave 1:applied:20251103_000001",
      "tenants/bolt:wave 2:applied:20251103_000001",
      "tenants/crane:wave 2:applied:20251103_000001",
    ]);
    for (const url of [acme, bolt, crane]) expect(await appliedVersions(url!)).toEqual(["20251103_000001"]);
    expect(await appliedVersions(oltp!)).toEqual([]);
    expect(await appliedVersions(content!)).toEqual([]);
  });

  it("a version in two folders is refused naming both, --target picks one, and a version in none is refused naming the targets", async () => {
    const before = await requestCount();
    expect(await refusal("apply 20251101_000001 production")).toContain("20251101_000001 is in the folders of 2 targets of production (oltp, content): name one with --target");
    expect(await refusal("apply 20251109_000001 production")).toContain("there is no migration 20251109_000001 in the folder of any target of production (oltp, content, tenants)");
    expect(await refusal("apply 20251103_000001 production --target oltp")).toContain("there is no migration 20251103_000001 in the folder of target oltp");
    expect(await requestCount()).toBe(before);

    await harness.command(USERS.requester, "apply 20251101_000001 production --target content");
    const ref = await harness.requestMessage(1);
    expect(textAt(ref)).toContain("on *content*");
    expect(textAt(ref)).toContain("pages");
    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["failed", "succeeded"], 60_000)).status).toBe("succeeded");
    expect((await listTargetRuns(harness.control, ref.requestId)).map((run) => `${run.target}/${run.database}:${run.status}`)).toEqual(["content/content:applied"]);
    expect(await appliedVersions(content!)).toEqual(["20251101_000001"]);
    expect(await appliedVersions(oltp!)).toEqual([]);

    expect(await refusal("apply 20251101_000001 production --target content")).toContain("20251101_000001 is not pending on production (it is already applied)");
  });

  it("apply all with --target pins that target's files alone", async () => {
    await harness.command(USERS.requester, "apply all production --target tenants");
    const ref = await harness.requestMessage(2);
    const card = textAt(ref);
    expect(card).toContain("Apply 2 migrations on production");
    expect(card).toContain("`20251103_000002` notes");
    expect(card).not.toContain("accounts");
    expect(card).not.toContain("pages");
    const request = await waitForRequest(harness.control, ref.requestId, ["pending"]);
    expect(Object.keys(request.checksums).every((key) => key.startsWith("tenants:"))).toBe(true);
  });
});
