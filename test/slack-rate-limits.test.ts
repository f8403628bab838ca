import { webApi } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/log/logger.ts";
import { postAlerts } from "../src/queue/alerts.ts";
import type { HealthProblem } from "../src/queue/health-problems.ts";
import { openAlerts } from "../src/requests/index.ts";
import { slackNotifier } from "../src/slack/notifier.ts";
import { ACTION } from "../src/slack/views/action-ids.ts";
import { waitForRequest } from "./support/queue.ts";
import { ALERT_CHANNEL, startSlackHarness, textOf, USERS } from "./support/slack-app.ts";

describe("rate-aware: bursts become one message, a 429 is waited out, the final update always arrives", async () => {
  const harness = await startSlackHarness({
    label: "slack-rate",
    migrations: Object.fromEntries(
      Array.from({ length: 12 }, (_, index) => {
        const n = index + 1;
        const name = `${String(n).padStart(3, "0")}_create_t${n}.sql`;
        return [
          [`2025_11_01/${name}`, `CREATE TABLE t${n} (id bigint PRIMARY KEY);\n`],
          [`2025_11_01/rollback_${name}`, `DROP TABLE IF EXISTS t${n};\n`],
        ];
      }).flat(),
    ),
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1], alertChannel: ALERT_CHANNEL } }),
  });
  const logger = createLogger({ level: "silent" });

  it("a 429 with Retry-After on chat.update and on a thread reply during a job: the job succeeds and the last update shows it", async () => {
    await harness.command(USERS.requester, "apply all production");
    const ref = await harness.requestMessage(0);
    harness.fake.rateLimitNext("chat.update", 1, 2);
    harness.fake.rateLimitNext("chat.postMessage", 1, 1);
    const clickedAt = Date.now();
    await harness.click(USERS.approver1, ACTION.approve, ref);
    const done = await waitForRequest(harness.control, ref.requestId, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    const final = await harness.fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === ref.ts && textOf(call.body).includes(":white_check_mark: done"), 20_000);
    expect(final.response.ok).toBe(true);
    const limited = harness.fake.calls.filter((call) => call.status === 429);
    expect(limited.map((call) => call.method).sort()).toEqual(["chat.postMessage", "chat.update", "chat.update"]);
    // Coalesced: twelve migrations, a handful of updates at least ~2 s apart, and one thread reply per phase.
    const updates = harness.fake.callsTo("chat.update").filter((call) => call.body.ts === ref.ts);
    expect(updates.length).toBeLessThanOrEqual(5);
    const thread = harness.fake.callsTo("chat.postMessage").filter((call) => call.body.thread_ts === ref.ts);
    expect(thread.length).toBeLessThanOrEqual(3);
    expect(textOf(thread.at(-1)!.body)).toContain("12 applied");
    expect(Date.now() - clickedAt).toBeLessThan(20_000);
  });

  it("64 alerts found in one poll go out as one message, all remembered; their resolution as one more", async () => {
    const environment = harness.config.environments.production!;
    const client = new webApi.WebClient("xoxb-test-token", { slackApiUrl: harness.fake.apiUrl });
    const notifier = slackNotifier(harness.rookery.deps, client, logger);
    const problems: HealthProblem[] = Array.from({ length: 64 }, (_, index) => ({
      key: `invalid-index:public.idx_${index}`,
      level: index % 2 === 0 ? "CRITICAL" : "WARNING",
      version: null,
      message: `index public.idx_${index} is invalid <!channel>`,
      suggestedCommand: null,
    }));
    const before = harness.fake.callsTo("chat.postMessage").filter((call) => call.body.channel === ALERT_CHANNEL).length;
    const sent = await postAlerts(harness.control, notifier, logger, environment, problems);
    expect(sent).toHaveLength(64);
    const posts = harness.fake.calls.filter((call) => call.method === "chat.postMessage" && call.body.channel === ALERT_CHANNEL);
    expect(posts).toHaveLength(before + 1);
    expect(posts.at(-1)!.status).toBeUndefined();
    expect(textOf(posts.at(-1)!.body)).toContain("64 health alerts");
    expect(textOf(posts.at(-1)!.body)).toContain("and 54 more");
    expect(await openAlerts(harness.control, "production")).toHaveLength(64);

    expect(await postAlerts(harness.control, notifier, logger, environment, [])).toHaveLength(64);
    const resolved = harness.fake.callsTo("chat.postMessage").filter((call) => call.body.channel === ALERT_CHANNEL).at(-1)!;
    expect(textOf(resolved.body)).toContain("64 resolved");
    expect(await openAlerts(harness.control, "production")).toHaveLength(0);
  });
});
