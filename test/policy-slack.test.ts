import { describe, expect, it } from "vitest";
import { columnsOf, eventsOf, ledgerRows } from "./support/engine.ts";
import { waitForRequest } from "./support/queue.ts";
import { ALERT_CHANNEL, CHANNEL, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";
import { textsOf } from "./support/slack-text.ts";
import { query } from "./support/services.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { readCatalog } from "../src/catalog/index.ts";

describe("/migrate freeze, unfreeze, stats, rehearse and the break-glass rollback", async () => {
  const harness = await startSlackHarness({
    label: "policy-slack",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_widget_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_widget_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
    },
    environments: (databaseUrl) => ({
      production: { databaseUrl, approvals: 2, approvers: [USERS.approver1, "SAPPROVERS"], breakGlass: true, alertChannel: ALERT_CHANNEL },
    }),
  });
  const production = harness.config.environments.production!;

  it("only approvers may freeze; a frozen environment refuses requests naming who froze it and why; unfreeze lifts it", async () => {
    const outsider = await harness.answer((await harness.command(USERS.outsider, "freeze production quarter close")).responseId);
    expect(outsider.response_type).toBe("ephemeral");
    expect(outsider.text).toBe("Only production's approvers may freeze it.");

    const frozen = await harness.answer((await harness.command(USERS.approver2, "freeze production quarter close")).responseId);
    expect(frozen.response_type).toBe("in_channel");
    expect(frozen.text).toBe(`production is frozen by ${USERS.approver2}: quarter close`);

    const refused = await harness.answer((await harness.command(USERS.requester, "apply all production")).responseId);
    expect(refused.response_type).toBe("ephemeral");
    expect(refused.text).toMatch(new RegExp(`production is frozen by ${USERS.approver2} since .* UTC: quarter close`));
    expect(await query(harness.control.options.connectionString!, "SELECT count(*)::int AS n FROM rookery_control.requests")).toEqual([{ n: 0 }]);

    const missingReason = await harness.answer((await harness.command(USERS.approver1, "freeze production")).responseId);
    expect(missingReason.text).toContain("a freeze needs a reason");

    const lifted = await harness.answer((await harness.command(USERS.approver1, "unfreeze production")).responseId);
    expect(lifted.text).toBe(`production is unfrozen by ${USERS.approver1}`);
    const again = await harness.answer((await harness.command(USERS.approver1, "unfreeze production")).responseId);
    expect(again.text).toContain("production is not frozen");
  });

  it("an approver's `rollback ... --now` runs at once through a freeze: audited, alerted, rolled back", async () => {
    await applyMigrations({ environment: production, catalog: readCatalog(harness.config.migrationsDir), actor: "test" });
    await harness.answer((await harness.command(USERS.approver1, "freeze production incident 7")).responseId);

    const refused = await harness.answer((await harness.command(USERS.requester, "rollback 20251101_000002 production --now checkout is down")).responseId);
    expect(refused.response_type).toBe("ephemeral");
    expect(refused.text).toContain("only production's approvers may break glass");
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id", "color"]);

    await harness.command(USERS.approver1, `rollback 20251101_000002 production --now checkout is "down"`);
    // The approver confirms in a modal by typing the version; a wrong one is refused there and nothing runs.
    const confirm = await harness.modal(0);
    expect(await harness.submitModal(USERS.approver1, confirm, { confirm: "20251101_000001" })).toMatchObject({ response_action: "errors" });
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id", "color"]);
    expect(await harness.submitModal(USERS.approver1, confirm, { confirm: "20251101_000002" })).toEqual({});
    const request = await harness.requestMessage(0);
    const done = await waitForRequest(harness.control, request.requestId, ["succeeded", "failed"]);
    expect(done).toMatchObject({ status: "succeeded", approvalsRequired: 0, reason: `checkout is "down"` });
    expect(await columnsOf(harness.databaseUrl, "widgets")).toEqual(["id"]);

    const override = (await eventsOf(harness.databaseUrl, "20251101_000002")).find((event) => event.event === "policy_override");
    expect(override).toMatchObject({ actor: USERS.approver1, reason: `checkout is "down"` });
    const alert = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.channel === ALERT_CHANNEL);
    expect(textOf(alert.body)).toContain(`Emergency rollback of 20251101_000002 on production by ${USERS.approver1}`);
    expect(textOf(alert.body)).toContain("2 approval(s); production is frozen by UAPPROVER1");
    await harness.answer((await harness.command(USERS.approver1, "unfreeze production")).responseId);
  });

  it("stats answers with the 30-day chart and counts", async () => {
    const answer = await harness.answer((await harness.command(USERS.requester, "stats production")).responseId);
    expect(answer.text).toBe("production, last 30 days: 2 applied, 0 failed, 1 rolled back");
    expect(JSON.stringify(answer.blocks)).toMatch(/Applied per day: `[▁▂▃▄▅▆▇█]{30}`/);
    // And as a picture, through files.uploadV2: a real PNG of a readable size, shared in the channel.
    await harness.fake.waitForCall((call) => call.method === "files.completeUploadExternal");
    const [chart] = [...harness.fake.files.values()];
    expect(chart).toMatchObject({ filename: "rookery-stats-production.png", channel: CHANNEL });
    expect(chart!.bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(chart!.bytes.readUInt32BE(16)).toBeGreaterThanOrEqual(600);
  });

  it("stats keeps the sparkline when Slack does not allow the upload (no files:write), and says so", async () => {
    harness.fake.failNext("files.getUploadURLExternal", "missing_scope");
    const { responseId } = await harness.command(USERS.requester, "stats production");
    expect(JSON.stringify(await harness.answer(responseId))).toMatch(/Applied per day: `[▁▂▃▄▅▆▇█]{30}`/);
    const note = await harness.fake.waitForCall((call) => call.method === "response_url" && call.responseId === responseId && String(call.body.text).includes("chart picture could not be posted"));
    expect(note.body.response_type).toBe("ephemeral");
    expect(JSON.stringify(note.body.blocks)).toContain("manifest.yml");
  });

  it("rehearse is refused on production before anything runs", async () => {
    const answer = await harness.answer((await harness.command(USERS.requester, "rehearse 20251101_000002 production")).responseId);
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain("rehearsal is refused on production");
    expect((await ledgerRows(harness.databaseUrl)).find((row) => row.version === "20251101_000002")?.status).toBe("rolled_back");
  });
});

describe("/migrate rehearse on staging", async () => {
  const harness = await startSlackHarness({
    label: "policy-slack-rh",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      // Fails with 32,000 characters of error, 56,000 once `<` and `>` are escaped.
      "2025_11_01/002_raise.sql": "DO $$ BEGIN RAISE EXCEPTION '%', repeat('<x> ', 8000); END $$;\n",
      "2025_11_01/rollback_002_raise.sql": "SELECT 1;\n",
    },
    environments: (databaseUrl) => ({ staging: { databaseUrl } }),
    jobs: false,
  });

  it("answers with a message at once and updates it with the report", async () => {
    await harness.command(USERS.requester, "rehearse 20251101_000001 staging");
    const started = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && textOf(call.body).includes("Rehearsing"));
    expect(started.body.text).toBe("Rehearsing 20251101_000001 on staging under load");
    const updated = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === started.response.ts, 30_000);
    expect(updated.body.text).toBe("Rehearsal of 20251101_000001 on staging: done");
    expect(textOf(updated.body)).toContain("throughput (q/s)");
    expect(textOf(updated.body)).toContain("rolled back: yes");
    expect((await ledgerRows(harness.databaseUrl)).map((row) => row.status)).toEqual(["rolled_back"]);
    // The probe latency as a picture in the report's thread.
    await harness.fake.waitForCall((call) => call.method === "files.completeUploadExternal" && call.body.thread_ts === started.response.ts, 20_000);
    expect([...harness.fake.files.values()][0]).toMatchObject({ filename: "rookery-rehearsal-20251101_000001.png", threadTs: started.response.ts });
  });

  it("a rehearsal whose apply fails with a long error reports within what Slack takes in one message", async () => {
    await harness.command(USERS.requester, "rehearse 20251101_000002 staging");
    const started = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && textOf(call.body).includes("Rehearsing `20251101_000002`"));
    const updated = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === started.response.ts, 30_000);
    expect(updated.body.text).toBe("Rehearsal of 20251101_000002 on staging: needs attention");
    expect(textOf(updated.body)).toContain("apply FAILED");
    // Slack refuses a chat.update whose blocks hold more than about 12,000 characters in all (msg_blocks_too_long).
    expect(textsOf({ blocks: updated.body.blocks }).reduce((sum, text) => sum + text.text.length, 0)).toBeLessThanOrEqual(12_000);
  });
});
