import { describe, expect, it } from "vitest";
import { completeExpansion } from "../../src/expand/index.ts";
import { applyMigrations } from "../../src/runner/index.ts";
import { ACTION } from "../../src/slack/views/action-ids.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { waitForRequest } from "../support/queue.ts";
import { createTestDatabase, query } from "../support/services.ts";
import { startSlackHarness, textOf, USERS } from "../support/slack-app.ts";

const VERSION = "20251201_000001";
const SETUP = "CREATE TABLE invoices (id bigint PRIMARY KEY, total integer NOT NULL); INSERT INTO invoices SELECT g, g FROM generate_series(1, 200) g";

describe("expand-contract in chat: approvals for both phases, staging completed first", async () => {
  const stagingUrl = await createTestDatabase("exp-chat-stg");
  await query(stagingUrl, SETUP);
  const harness = await startSlackHarness({
    label: "exp-chat",
    migrations: { "2025_12_01/001_total_bigint.sql": "-- rookery:expand-contract\nALTER TABLE invoices ALTER COLUMN total TYPE bigint;\n" },
    environments: (databaseUrl) => ({
      staging: { databaseUrl: stagingUrl },
      production: { databaseUrl, approvals: 1, approvers: [USERS.approver1], requireStaging: "staging" },
    }),
  });
  await query(harness.databaseUrl, SETUP);
  const messageOf = (ref: { channel: string; ts: string }) => textOf(harness.fake.messages.get(`${ref.channel}/${ref.ts}`) as unknown as Record<string, unknown>);
  const staging = testEnvironment(stagingUrl);

  it("expands on production after an approval, once staging expanded it", async () => {
    const dir = harness.config.migrationsDir;
    expect((await applyMigrations(runContext(staging, dir), { versions: [VERSION] })).failed).toBeUndefined();
    await harness.command(USERS.requester, `apply ${VERSION} production`);
    const ref = await harness.requestMessage(0);
    // Rolling back an expansion aborts it: no rollback file is needed, and the request says so.
    expect(messageOf(ref)).toContain("rollback available");
    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    expect(await query(harness.databaseUrl, "SELECT state FROM rookery_expansions WHERE version = $1", [VERSION])).toEqual([{ state: "expanded" }]);
    const status = textOf(await harness.answer((await harness.command(USERS.requester, "status production")).responseId));
    expect(status).toMatch(new RegExp(`${VERSION}\\s+expanded`));
  });

  it("refuses to request the contract before staging completed the same version, saying so", async () => {
    const refused = await harness.answer((await harness.command(USERS.requester, `complete ${VERSION} production`)).responseId);
    expect(String(refused.text)).toContain(`${VERSION} is not completed on staging (it is expanded)`);
  });

  it("completes on production after staging completed and an approver approved the contract", async () => {
    await completeExpansion(runContext(staging, harness.config.migrationsDir), { version: VERSION });
    await harness.command(USERS.requester, `complete ${VERSION} production`);
    const ref = await harness.requestMessage(1);
    expect(messageOf(ref)).toContain(`Complete ${VERSION}`);
    expect(await query(harness.databaseUrl, "SELECT state FROM rookery_expansions WHERE version = $1", [VERSION])).toEqual([{ state: "expanded" }]);
    await harness.click(USERS.approver1, ACTION.approve, ref);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    expect(await query(harness.databaseUrl, "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'invoices' AND column_name = 'total'")).toEqual([{ data_type: "bigint" }]);
    const result = await harness.fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === ref.ts && textOf(call.body).includes("completed in"));
    expect(textOf(result.body)).toContain(`rookery_${VERSION}`);
  });

  it("refuses a complete request for a version that is not expanded", async () => {
    const refused = await harness.answer((await harness.command(USERS.requester, `complete ${VERSION} production`)).responseId);
    expect(String(refused.text)).toContain(`nothing to complete: ${VERSION} is not expanded on production`);
  });
});
