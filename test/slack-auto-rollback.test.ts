import { describe, expect, it } from "vitest";
import { watchOfRequest, type AuditRecord, type WatchRecord } from "../src/requests/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { createJobQueue } from "../src/queue/index.ts";
import { payloadFor } from "../src/queue/payloads.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { ledgerRows, runContext } from "./support/engine.ts";
import { waitForAudit, waitForRequest, waitForWatch, waitUntil } from "./support/queue.ts";
import { query } from "./support/services.ts";
import { ALERT_CHANNEL, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("automatic rollback in Slack: the watch on the request message, Keep / Roll back now, the alert", async () => {
  const harness = await startSlackHarness({
    label: "slack-autorb",
    migrations: {
      "2025_11_01/001_create_gadgets.sql": "CREATE TABLE gadgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_gadgets.sql": "DROP TABLE gadgets;\n",
      "2025_11_01/002_add_gadget_label.sql":
        "-- rookery:check gadgets_labelled: SELECT count(*) = 0, count(*) || ' gadgets without a label' FROM gadgets WHERE label IS NULL\nALTER TABLE gadgets ADD COLUMN label text;\n",
      "2025_11_01/rollback_002_add_gadget_label.sql": "ALTER TABLE gadgets DROP COLUMN label;\n",
      "2025_11_01/003_add_gadget_size.sql": "ALTER TABLE gadgets ADD COLUMN size integer;\n",
      "2025_11_01/rollback_003_add_gadget_size.sql": "ALTER TABLE gadgets DROP COLUMN size;\n",
      "2025_11_01/004_no_way_back.sql": "CREATE TABLE no_way_back (id bigint);\n",
      "2025_11_01/005_positive_gadget_ids.sql": "ALTER TABLE gadgets ADD CONSTRAINT gadgets_id_positive CHECK (id > 0);\n",
      "2025_11_01/rollback_005_positive_gadget_ids.sql": "COMMENT ON TABLE gadgets IS NULL;\n",
    },
    environments: (databaseUrl) => ({
      production: {
        databaseUrl,
        approvals: 1,
        approvers: [USERS.approver1],
        alertChannel: ALERT_CHANNEL,
        autoRollback: { watchMinutes: 0.5, interval: "300ms", checkTimeout: "2s" },
      },
    }),
    // A drill job runs only for a configured drill; this schedule's own first run is months away.
    drills: [{ every: "0 3 1 1 *", environment: "production" }],
  });
  const textOfMessage = (ref: { channel: string; ts: string }) => textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);
  const watchOf = (requestId: string, done: (watch: WatchRecord) => boolean, what: string) => waitForWatch(() => watchOfRequest(harness.control, requestId), done, what);
  let requests = 0;
  const approvedApply = async (version: string) => {
    await harness.command(USERS.requester, `apply ${version} production`);
    const ref = await harness.requestMessage(requests++);
    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    return ref;
  };

  it("refuses a migration without a rollback file before anyone approves it", async () => {
    const reply = await harness.command(USERS.requester, "apply 20251101_000004 production");
    const answer = await harness.answer(reply.responseId);
    expect(textOf(answer)).toContain("004_no_way_back.sql has no rollback file beside it");
    expect(await query(harness.databaseUrl, "SELECT to_regclass('public.no_way_back') AS present")).toEqual([{ present: null }]);
  });

  it("shows the watch with Keep / Roll back now to approvers; Keep ends it and the change stays", async () => {
    const ref = await approvedApply("20251101_000001");
    await watchOf(ref.requestId, (watch) => watch.rounds >= 1, "the first round");
    await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes("watching until"));
    const message = harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>;
    expect(JSON.stringify(message)).toContain(ACTION.keepWatch);
    expect(JSON.stringify(message)).toContain(ACTION.rollBackNow);

    const outsider = await harness.answer((await harness.click(USERS.outsider, ACTION.rollBackNow, ref)).responseId);
    expect(outsider.text).toContain("not an approver for production");

    await harness.click(USERS.approver1, ACTION.keepWatch, ref);
    const kept = await watchOf(ref.requestId, (watch) => watch.status !== "watching", "Keep");
    expect(kept).toMatchObject({ status: "kept", decidedBy: USERS.approver1 });
    await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === ref.ts && textOf(call.body).includes("watch ended early by"));
    await waitUntil(async () => !JSON.stringify(harness.fake.messages.get(`${ref.channel}/${ref.ts}`)).includes(ACTION.keepWatch), "the buttons to go", 10_000);
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.status)).toEqual(["applied"]);
    const withOutcome = (entry: AuditRecord) => `${entry.actor} ${entry.action} ${String(entry.detail.outcome ?? "")}`.trim();
    await waitForAudit(harness.control, ref.requestId, withOutcome, [`${USERS.outsider} button.roll_back_now not_an_approver`, `${USERS.approver1} button.keep_watch kept`]);
  });

  it("rolls back when the file's check fails: the thread, the message and the alert channel say which check and its value", async () => {
    const ref = await approvedApply("20251101_000002");
    await watchOf(ref.requestId, (watch) => watch.rounds >= 1, "the first round");
    await query(harness.databaseUrl, "INSERT INTO gadgets (id) VALUES (1)");
    const ended = await watchOf(ref.requestId, (watch) => watch.status === "rolled_back", "the automatic rollback");
    expect(ended.outcome).toMatchObject({ failing: { name: "20251101_000002/gadgets_labelled", value: "1 gadgets without a label" } });
    expect((await ledgerRows(harness.databaseUrl)).map((row) => [row.version, row.status])).toEqual([
      ["20251101_000001", "applied"],
      ["20251101_000002", "rolled_back"],
    ]);
    const expected = "rolled back automatically (20251101_000002): 20251101_000002/gadgets_labelled = 1 gadgets without a label";
    await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === ref.ts && textOf(call.body).includes(expected));
    const alert = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.channel === ALERT_CHANNEL && textOf(call.body).includes(expected));
    expect(textOf(alert.body)).toContain("WARNING");
    await waitUntil(async () => textOfMessage(ref).includes(expected), "the message to show the outcome", 10_000);
  });

  it("Roll back now from an approver rolls back at once, recorded as asked by them", async () => {
    await query(harness.databaseUrl, "DELETE FROM gadgets");
    const ref = await approvedApply("20251101_000003");
    await watchOf(ref.requestId, (watch) => watch.rounds >= 1, "the first round");
    await harness.click(USERS.approver1, ACTION.rollBackNow, ref);
    const ended = await watchOf(ref.requestId, (watch) => watch.status === "rolled_back", "Roll back now");
    expect(ended.outcome).toMatchObject({ failing: { name: "Roll back now", source: "approver", value: `asked by ${USERS.approver1}` } });
    expect(Date.parse(ended.plan.endsAt.toISOString()) - Date.now()).toBeGreaterThan(5000);
    expect((await ledgerRows(harness.databaseUrl)).find((row) => row.version === "20251101_000003")?.status).toBe("rolled_back");
    await waitForAudit(harness.control, ref.requestId, (entry) => `${entry.actor} ${entry.action}`, [`${USERS.approver1} button.roll_back_now`, `${USERS.approver1} watch.rolled_back`]);
  });

  it("a drill's report reaches the alert channel: the counts and the constraint a rollback leaves behind", async () => {
    await applyMigrations(runContext(harness.config.environments.production!, harness.config.migrationsDir), { versions: ["20251101_000005"] });
    const queue = createJobQueue(harness.config.redisUrl, harness.config.queuePrefix);
    try {
      await queue.add("drill", payloadFor("drill", { environment: "production" }));
      const report = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.channel === ALERT_CHANNEL && textOf(call.body).includes("Rollback drill"), 40_000);
      const text = textOf(report.body);
      expect(text).toContain("proven 1, failed 1, skipped 0 (no rollback)");
      expect(text).toContain("20251101_000005");
      expect(text).toContain("gadgets_id_positive remains after rollback");
    } finally {
      await queue.close();
    }
  });
});
