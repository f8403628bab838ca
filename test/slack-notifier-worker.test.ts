import { afterAll, describe, expect, it } from "vitest";
import { startWorker } from "../src/queue/index.ts";
import { setMessageRef } from "../src/requests/index.ts";
import { startFakeSlackApi } from "../src/shell/fake-slack-api.ts";
import { slackNotifierFromConfig } from "../src/slack/notifier.ts";
import { migrationsFolder } from "./support/cli.ts";
import { approvedRequest, controlPool, queueTestConfig, quietLogger, spawnWorker, waitForRequest } from "./support/queue.ts";
import { createTestDatabase, testQueuePrefix } from "./support/services.ts";
import { textOf } from "./support/slack-app.ts";

describe("a worker without the bot still updates the request's Slack message when SLACK_BOT_TOKEN is set", async () => {
  const databaseUrl = await createTestDatabase("notifier-worker");
  const fake = await startFakeSlackApi();
  afterAll(() => fake.close());
  const config = {
    ...queueTestConfig({
      databaseUrl,
      controlUrl: databaseUrl,
      migrationsDir: migrationsFolder({
        "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
        "2025_11_01/002_create_gadgets.sql": "CREATE TABLE gadgets (id bigint PRIMARY KEY);\n",
      }),
      queuePrefix: testQueuePrefix("notifier"),
    }),
    slack: { botToken: "xoxb-worker", apiUrl: fake.apiUrl },
  };
  const pool = await controlPool(databaseUrl);

  it("is not built without a token", () => {
    expect(slackNotifierFromConfig({ ...config, slack: {} }, quietLogger())).toBeUndefined();
  });

  it("edits the request message in place and replies in its thread as the job runs", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000001"]);
    const posted = (await (
      await fetch(`${fake.apiUrl}chat.postMessage`, {
        method: "POST",
        headers: { authorization: "Bearer xoxb-worker", "content-type": "application/json" },
        body: JSON.stringify({ channel: "CMIGRATIONS", text: "request" }),
      })
    ).json()) as { ts: string };
    await setMessageRef(pool, request.id, "CMIGRATIONS", posted.ts);

    const slack = slackNotifierFromConfig(config, quietLogger())!;
    const worker = await startWorker(config, { notifier: slack.notifier, logger: quietLogger(), reconcileEverySeconds: 1 });
    try {
      expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
      await fake.waitForCall((call) => call.method === "chat.postMessage" && call.body.thread_ts === posted.ts && textOf(call.body).includes("applied in"));
      const update = await fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === posted.ts && textOf(call.body).includes("done"));
      expect(textOf(update.body)).toContain("Apply 20251101_000001 on production");
    } finally {
      await worker.close();
      await slack.close();
    }
  });

  it("does the same from a separate `rookery worker` process given the bot token", async () => {
    const request = await approvedRequest(pool, config, ["20251101_000002"]);
    await setMessageRef(pool, request.id, "CMIGRATIONS", "1700000000.000100");
    const worker = await spawnWorker(config, [], { SLACK_BOT_TOKEN: "xoxb-worker", SLACK_API_URL: fake.apiUrl });
    expect((await waitForRequest(pool, request.id, ["succeeded", "failed"])).status).toBe("succeeded");
    const update = await fake.waitForCall((call) => call.method === "chat.update" && call.body.ts === "1700000000.000100" && textOf(call.body).includes("done"));
    expect(textOf(update.body)).toContain("Apply 20251101_000002 on production");
    expect(worker.output()).not.toContain("xoxb-worker");
    worker.child.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
  });
});
