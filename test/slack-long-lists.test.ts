import { describe, expect, it } from "vitest";
import { rollbackMigration } from "../src/runner/index.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { ledgerRows, runContext } from "./support/engine.ts";
import { writeMigration } from "./support/cli.ts";
import { waitForRequest } from "./support/queue.ts";
import { startSlackHarness, textOf, USERS } from "./support/slack-app.ts";
import { textsOf } from "./support/slack-text.ts";

const COUNT = 300;
const pad = (n: number) => String(n).padStart(3, "0");
const version = (n: number) => `20251101_000${pad(n)}`;

/** 299 small tables, then a migration that fails: a busy folder, as a team with years of history has. */
function busyFolder(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let n = 1; n < COUNT; n++) {
    files[`2025_11_01/${pad(n)}_create_t${n}.sql`] = `-- description: table t${n} <!channel> *loud*\nCREATE TABLE t${n} (id bigint PRIMARY KEY);\n`;
    files[`2025_11_01/rollback_${pad(n)}_create_t${n}.sql`] = `DROP TABLE IF EXISTS t${n};\n`;
  }
  files[`2025_11_01/${pad(COUNT)}_fill_t1.sql`] = "INSERT INTO t1 (id) SELECT 1 / 0;\n";
  files[`2025_11_01/rollback_${pad(COUNT)}_fill_t1.sql`] = "DELETE FROM t1;\n";
  return files;
}

describe("long lists fit Slack's limits: summarised, with the buttons always reaching Slack", async () => {
  const harness = await startSlackHarness({
    label: "slack-long-lists",
    migrations: busyFolder(),
    environments: (databaseUrl) => ({
      production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] },
    }),
  });
  const blocksOf = (body: Record<string, unknown>) => (body.blocks as unknown[] | undefined) ?? [];

  it("300 pending migrations: requested, approved, failed, with Request rollback on the final update", async () => {
    await harness.command(USERS.requester, "apply all production");
    const ref = await harness.requestMessage(0);
    const posted = harness.fake.messages.get(`${ref.channel}/${ref.ts}`)!;
    expect(posted.blocks.length).toBeLessThanOrEqual(50);
    const shown = textOf(posted as unknown as Record<string, unknown>);
    expect(shown).toContain("Apply 300 migrations on production");
    expect(shown).toContain("and 290 more");
    expect(shown).toContain("rookery plan --env production");
    // Descriptions come from files anyone can open a pull request for: inert.
    expect(shown).not.toContain("<!channel>");
    expect(shown).not.toContain("*loud*");

    await harness.click(USERS.approver1, ACTION.approve, ref);
    const failed = await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"], 120_000);
    expect(failed.status).toBe("failed");
    expect((await ledgerRows(harness.databaseUrl)).filter((row) => row.status === "applied")).toHaveLength(COUNT - 1);

    const final = await harness.fake.waitForCall(
      (call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(ACTION.requestRollback),
      30_000,
    );
    expect(final.response.ok).toBe(true);
    expect(blocksOf(final.body).length).toBeLessThanOrEqual(50);
    expect(textOf(final.body)).toContain("division by zero");

    // One thread reply per phase and one result, not one per migration; updates coalesced.
    const thread = harness.fake.callsTo("chat.postMessage").filter((call) => call.body.thread_ts === ref.ts);
    expect(thread.length).toBeLessThanOrEqual(4);
    const result = thread.find((call) => textOf(call.body).includes("division by zero"))!;
    expect(textOf(result.body)).toContain("299 applied");
    expect(textOf(result.body)).toContain("and 289 more");
    const updates = harness.fake.callsTo("chat.update").filter((call) => call.body.ts === ref.ts);
    expect(updates.length).toBeLessThan(30);
  }, 150_000);

  it("status with 60 drifted files and health with 60 rolled-back versions answer within the limits", async () => {
    const environment = { ...harness.config.environments.production!, name: "production" };
    const rolledBack = Array.from({ length: 60 }, (_, index) => version(index + 200));
    for (const each of [...rolledBack].reverse()) {
      await rollbackMigration(runContext(environment, harness.config.migrationsDir, "cli:tester"), { version: each, reason: "long lists test" });
    }
    for (let n = 1; n <= 60; n++) {
      writeMigration(harness.config.migrationsDir, `2025_11_01/${pad(n)}_create_t${n}.sql`, `CREATE TABLE t${n} (id bigint PRIMARY KEY); -- edited\n`);
    }
    const status = await harness.answer((await harness.command(USERS.requester, "status production")).responseId);
    expect(blocksOf(status).length).toBeLessThanOrEqual(50);
    // 60 drifted and the failed one: ten listed, the rest counted.
    expect(textOf(status)).toContain("and 51 more");
    expect(textOf(status)).toContain("rookery status --env production");

    const health = await harness.answer((await harness.command(USERS.requester, "health production")).responseId);
    expect(blocksOf(health).length).toBeLessThanOrEqual(50);
    expect(textOf(health)).toContain("rookery health --env production");
    // Both answers reached the response_url (the harness fails the file on any refused call).
    expect(status.response_type).toBe("in_channel");
    expect(health.response_type).toBe("in_channel");
  }, 60_000);
});

describe("a long error fits the thread's result", async () => {
  const harness = await startSlackHarness({
    label: "slack-long-error",
    migrations: {
      // 32,000 characters of error, 56,000 once `<` and `>` are escaped: far past what one Slack message holds.
      "2025_11_01/001_raise.sql": "DO $$ BEGIN RAISE EXCEPTION '%', repeat('<x> ', 8000); END $$;\n",
      "2025_11_01/rollback_001_raise.sql": "SELECT 1;\n",
    },
    environments: (databaseUrl) => ({ development: { databaseUrl } }),
  });
  /** All the text of a message's blocks: Slack refuses a chat.postMessage past about 12,000 (msg_blocks_too_long). */
  const blockText = (body: Record<string, unknown>) => textsOf({ blocks: body.blocks }).reduce((sum, text) => sum + text.text.length, 0);

  it("shows the error's start and says where it is whole, within what Slack takes in one message", async () => {
    await harness.command(USERS.requester, "apply all development");
    const ref = await harness.requestMessage(0);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("failed");
    const result = await harness.fake.waitForCall(
      (call) => call.method === "chat.postMessage" && call.body.thread_ts === ref.ts && String(call.body.text).startsWith("Failed"),
    );
    expect(result.response.ok).toBe(true);
    expect(blockText(result.body)).toBeLessThanOrEqual(12_000);
    expect(textOf(result.body)).toContain("2025_11_01/001_raise.sql");
    expect(textOf(result.body)).toContain("rookery history --env development --json");
  });
});
