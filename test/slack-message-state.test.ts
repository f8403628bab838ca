import { Writable } from "node:stream";
import { webApi } from "@slack/bolt";
import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { createLogger } from "../src/log/logger.ts";
import { getRequest } from "../src/requests/index.ts";
import { slackNotifier } from "../src/slack/notifier.ts";
import { waitForRequest, waitUntil } from "./support/queue.ts";
import { CHANNEL, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("the request message follows the request's stored state, and each Slack error gets its own hint", async () => {
  const harness = await startSlackHarness({
    label: "slack-message-state",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
      "2025_11_01/002_add_color.sql": "ALTER TABLE widgets ADD COLUMN color text;\n",
      "2025_11_01/rollback_002_add_color.sql": "ALTER TABLE widgets DROP COLUMN IF EXISTS color;\n",
    },
    environments: (databaseUrl) => ({ development: { databaseUrl } }),
  });

  it("a job re-delivered after its request succeeded (started, progress, finished again) leaves the message on done, not running", async () => {
    await harness.command(USERS.requester, "apply 20251101_000001 development");
    const ref = await harness.requestMessage(0);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(":white_check_mark: done"));

    // What a second delivery of the same job tells the notifier, with the request as it was when that delivery began.
    const stale = { ...(await getRequest(harness.control, ref.requestId))!, status: "running" as const };
    const notifier = slackNotifier(harness.rookery.deps, new webApi.WebClient("xoxb-test-token", { slackApiUrl: harness.fake.apiUrl }), createLogger({ level: "silent" }));
    await notifier.started(stale, 2);
    await notifier.progress(stale, { step: "lock", message: "waiting for the migration lock" });
    await notifier.finished(stale, { status: "succeeded", report: { environment: "development", applied: [], skipped: [{ version: "20251101_000001", reason: "already applied" }] } });
    const last = harness.fake.callsTo("chat.update").filter((call) => call.body.ts === ref.ts).at(-1)!;
    expect(textOf(last.body)).toContain(":white_check_mark: done");
    expect(textOf(last.body)).not.toContain(":gear: running");
    expect(harness.fake.messages.get(`${ref.channel}/${ref.ts}`)!.text).toContain("done");
  });

  it("the control database down while the message is updated is logged as that, not as Slack out of reach", async () => {
    await harness.command(USERS.requester, "apply 20251101_000001 development");
    const ref = await harness.requestMessage(0);
    const request = (await getRequest(harness.control, ref.requestId))!;
    const lines: string[] = [];
    const logger = createLogger({ level: "warn" }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    // Nothing listens on port 1: every query of this control pool is refused, as when the control database is down.
    const down = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:1/control", connectionTimeoutMillis: 2000 });
    onTestFinished(() => down.end());
    const notifier = slackNotifier({ ...harness.rookery.deps, control: down }, new webApi.WebClient("xoxb-test-token", { slackApiUrl: harness.fake.apiUrl }), logger);
    await notifier.progress({ ...request, status: "running" }, { step: "apply", message: "applying 20251101_000001 (1/1)" });
    await waitUntil(async () => lines.some((line) => line.includes("chat.update")), "the failed update to be logged", 10_000);
    const logged = lines.find((line) => line.includes("chat.update"))!;
    expect(logged).toContain("ECONNREFUSED");
    expect(logged).toContain("before Slack was asked");
    expect(logged).not.toContain("Slack could not be reached");
  });

  it("a dialog Slack would not open (the 3 s of the trigger passed) says so and what to do; nothing changes", async () => {
    await harness.command(USERS.requester, "apply 20251101_000002 development");
    const ref = await harness.requestMessage(1);
    expect((await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"])).status).toBe("succeeded");
    // The job's result reply and final update are out before an error is injected into the next call.
    await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(":white_check_mark: done"));
    harness.fake.failNext("views.open", "expired_trigger_id");
    const answer = await harness.answer((await harness.command(USERS.requester, "rollback 20251101_000002 development")).responseId);
    expect(answer.response_type).toBe("ephemeral");
    expect(textOf(answer)).toContain("Slack did not open the dialog (expired_trigger_id); nothing changed");
    expect(textOf(answer)).toContain("Slack allows 3 s to open a dialog: click again.");
  });

  it("Slack refusing the request message as invalid_blocks is reported as a bug, with the CLI as the way on, not as a missing invite", async () => {
    // Only the request message of this command: a thread reply or alert still on its way must not take the error.
    harness.fake.failNext("chat.postMessage", "invalid_blocks", (body) => body.channel === CHANNEL && !body.thread_ts);
    const answer = await harness.answer((await harness.command(USERS.requester, "rollback 20251101_000002 development the colour column broke exports")).responseId);
    expect(answer.response_type).toBe("ephemeral");
    expect(textOf(answer)).toContain("invalid_blocks");
    expect(textOf(answer)).toContain("bug in Rookery");
    expect(textOf(answer)).toContain("rookery status");
    expect(textOf(answer)).not.toContain("/invite");
  });
});
