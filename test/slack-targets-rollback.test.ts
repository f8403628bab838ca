import { describe, expect, it } from "vitest";
import { readCatalog } from "../src/catalog/index.ts";
import { listTargetRuns, type ChangeRequest } from "../src/requests/index.ts";
import { messageViolation } from "../src/slack/views/limits.ts";
import { requestMessage } from "../src/slack/views/request-message.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { appliedVersions, eventsOf } from "./support/engine.ts";
import { migrationsFolder } from "./support/cli.ts";
import { waitForRequest } from "./support/queue.ts";
import { createTestDatabase, query } from "./support/services.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

const [oltp, acme, bolt, crane] = await Promise.all(["sroltp", "sracme", "srbolt", "srcrane"].map((label) => createTestDatabase(label)));
// bolt already has the table the second tenant migration creates: it applies the first, then fails.
await query(bolt!, "CREATE TABLE notes (id int)");

const oltpDir = migrationsFolder({
  "2025_11_01/001_accounts.sql": "-- description: accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_001_accounts.sql": "DROP TABLE accounts;\n",
  "2025_11_01/002_invoices.sql": "-- description: invoices\nCREATE TABLE invoices (id bigint PRIMARY KEY);\n",
  "2025_11_01/rollback_002_invoices.sql": "DROP TABLE invoices;\n",
});
const tenantDir = migrationsFolder({
  "2025_11_03/001_leads.sql": "-- description: leads\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/rollback_001_leads.sql": "DROP TABLE leads;\n",
  "2025_11_03/002_notes.sql": "-- description: notes\nCREATE TABLE notes (id bigint PRIMARY KEY);\n",
  "2025_11_03/rollback_002_notes.sql": "DROP TABLE notes;\n",
});

describe("Request rollback on a failed apply across targets: what that request applied, per database, newest first", async () => {
  const harness = await startSlackHarness({
    label: "slack-targets-rollback",
    migrations: {},
    environments: () => ({
      production: {
        databaseUrl: oltp,
        approvals: 1,
        approvers: [USERS.approver1],
        targets: {
          oltp: { databaseUrl: oltp, dir: oltpDir },
          tenants: { dir: tenantDir, fleet: { databases: [{ name: "acme", databaseUrl: acme }, { name: "bolt", databaseUrl: bolt }, { name: "crane", databaseUrl: crane }], canary: 1, waveSize: 2 } },
        },
        targetOrder: ["oltp", "tenants"],
      },
    }),
  });
  const textAt = (ref: { channel: string; ts: string }) => textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);
  // oltp's accounts was applied before, by another run: the rollback must leave it.
  await applyMigrations({ environment: { ...harness.config.environments.production!, databaseUrl: oltp! }, catalog: readCatalog(oltpDir), actor: "cli:tester" }, { versions: ["20251101_000001"] });

  it("asks for the reason saying what rolls back where, needs the approval, then rolls back each database's versions", async () => {
    await harness.command(USERS.requester, "apply all production");
    const apply = await harness.requestMessage(0);
    await harness.click(USERS.approver1, ACTION.approve, apply);
    const failed = await waitForRequest(harness.control, apply.requestId, ["failed", "succeeded"], 60_000);
    expect(failed.status).toBe("failed");
    expect((await listTargetRuns(harness.control, apply.requestId)).map((run) => `${run.database}:${run.status}:${run.applied.join(",")}`)).toEqual([
      "oltp:applied:20251101_000002",
      "acme:applied:20251103_000001,20251103_000002",
      "bolt:failed:20251103_000001",
      "crane:applied:20251103_000001,20251103_000002",
    ]);

    await harness.click(USERS.requester, ACTION.requestRollback, apply);
    const modal = await harness.modal(0);
    expect(JSON.stringify(modal)).toContain(
      `Request a rollback of what request \`${apply.requestId.slice(0, 8)}\` applied, newest first: tenants (3 databases): 20251103_000002, 20251103_000001; oltp: 20251101_000002 on *production*`,
    );
    expect(await harness.submitModal(USERS.requester, modal, { reason: "notes broke the tenant sync" })).toEqual({});

    const rollback = await harness.requestMessage(1);
    const card = textAt(rollback);
    expect(card).toContain("Roll back 3 versions, newest first: 20251103_000002, 20251103_000001, 20251101_000002 on production");
    expect(card).toContain(`after failed request ${apply.requestId.slice(0, 8)}: notes broke the tenant sync`);
    expect(card).toContain("*Rolls back on 4 database(s), newest first");
    expect(card).toContain("• *tenants* 2 database(s) (acme, crane): `20251103_000002`, `20251103_000001`");
    expect(card).toContain("• *tenants* 1 database(s) (bolt): `20251103_000001`");
    expect(card).toContain("• *oltp*: `20251101_000002`");
    expect(card).toContain("waiting for approval (0 of 1)");
    // Nothing runs before the approval.
    expect(await appliedVersions(acme!)).toEqual(["20251103_000001", "20251103_000002"]);

    await harness.click(USERS.approver1, ACTION.approve, rollback);
    const done = await waitForRequest(harness.control, rollback.requestId, ["failed", "succeeded"], 60_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("succeeded");
    expect((await listTargetRuns(harness.control, rollback.requestId)).map((run) => `${run.target}/${run.database}:wave ${run.wave}:${run.status}:${run.applied.join(",")}`)).toEqual([
      "tenants/acme:wave 1:applied:20251103_000002,20251103_000001",
      "tenants/bolt:wave 2:applied:20251103_000001",
      "tenants/crane:wave 2:applied:20251103_000002,20251103_000001",
      "oltp/oltp:wave 1:applied:20251101_000002",
    ]);
    for (const url of [acme, bolt, crane]) expect(await appliedVersions(url!)).toEqual([]);
    expect(await appliedVersions(oltp!)).toEqual(["20251101_000001"]);
    const events = (await eventsOf(acme!, "20251103_000002")).filter((event) => event.event === "rolled_back");
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toBe(`slack:${USERS.requester}`);
    expect(events[0]!.reason).toContain("notes broke the tenant sync");

    // Once it is all rolled back, asking again says there is nothing left.
    const again = await harness.click(USERS.requester, ACTION.requestRollback, apply);
    expect(textOf(await harness.answer(again.responseId))).toContain("nothing to roll back: no version this request applied is still applied on any database");
  });

  it("/migrate rollback <version> <env> --target NAME rolls the version back on the target, a fleet's on every database that has it", async () => {
    for (const url of [acme, crane]) await applyMigrations({ environment: { ...harness.config.environments.production!, databaseUrl: url! }, catalog: readCatalog(tenantDir), actor: "cli:tester" }, { versions: ["20251103_000001"] });
    await harness.command(USERS.requester, "rollback 20251103_000001 production --target tenants the leads table broke the sync");
    const ref = await harness.requestMessage(2);
    const card = textAt(ref);
    expect(card).toContain("Roll back 20251103_000001 on production");
    expect(card).toContain("*Reason:* the leads table broke the sync");
    expect(card).toContain("• *tenants* 2 database(s) (acme, crane): `20251103_000001`");
    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["failed", "succeeded"], 60_000)).status).toBe("succeeded");
    for (const url of [acme, crane]) expect(await appliedVersions(url!)).toEqual([]);
    expect(await appliedVersions(oltp!)).toEqual(["20251101_000001"]);

    const nothing = await harness.command(USERS.requester, "rollback 20251103_000001 production --target tenants again please");
    expect(textOf(await harness.answer(nothing.responseId))).toContain("nothing to roll back: 20251103_000001 is not applied on any database of tenants");
    const now = await harness.command(USERS.requester, "rollback 20251103_000001 production --target tenants --now it is on fire");
    expect(textOf(await harness.answer(now.responseId))).toContain("--now does not run across targets yet");

    // Without a reason, the modal asks for it and names the target.
    await harness.command(USERS.requester, "rollback 20251101_000001 production --target oltp");
    const modal = await harness.modal(1);
    expect(JSON.stringify(modal)).toContain("Request a rollback of `20251101_000001` on *production* (target *oltp*)");
    expect(await harness.submitModal(USERS.requester, modal, { reason: "accounts is wrong" })).toEqual({});
    expect(textAt(await harness.requestMessage(3))).toContain("• *oltp*: `20251101_000001`");
  });
});

describe("the message of a rollback across a fleet of 500 databases stays within Slack's limits", () => {
  it("ten groups of long database names shown, the rest counted, in a message Slack accepts", () => {
    const now = new Date();
    const versions = Array.from({ length: 12 }, (_, index) => `20251103_0000${String(index + 1).padStart(2, "0")}`).reverse();
    const request = { id: "00000000-0000-4000-8000-000000000001", kind: "rollback", environment: "production", versions, checksums: {}, reason: "r", requestedBy: "UREQUESTER", approvalsRequired: 1, approvals: [], status: "pending", createdAt: now, expiresAt: now, updatedAt: now, notBefore: null, breakGlass: false, decidedBy: null, error: null } as unknown as ChangeRequest;
    const rollbackPlan = Array.from({ length: 25 }, (_, group) => ({
      target: "tenants",
      fleet: true,
      databases: Array.from({ length: 20 }, (_, index) => `tenant-${"n".repeat(50)}-${group}-${index}`),
      versions: versions.slice(group % 12),
    }));
    const message = requestMessage({ request, migrations: [], blocking: [], lastApprovalDoes: "", rollbackPlan });
    expect(messageViolation(message)).toBeUndefined();
    expect(JSON.stringify(message)).toContain("*Rolls back on 500 database(s), newest first");
    expect(JSON.stringify(message)).toContain("and 12 more)");
    expect(JSON.stringify(message)).toContain("… and 15 more");
  });
});
