import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startFakeSlackApi } from "../src/shell/fake-slack-api.ts";
import { SignedSlackSender } from "../src/shell/signed-requests.ts";
import { binEnv, migrationsFolder } from "./support/cli.ts";
import { waitUntil } from "./support/queue.ts";
import { createTestDatabase, redisUrl, testQueuePrefix } from "./support/services.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("`rookery start` with Slack tokens: bot, worker and scheduler in one process", async () => {
  const databaseUrl = await createTestDatabase("start");
  const fake = await startFakeSlackApi();
  afterAll(() => fake.close());
  const signingSecret = randomBytes(16).toString("hex");
  const migrationsDir = migrationsFolder({ "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n" });

  it("serves /migrate, /healthz and /metrics on PORT, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin/rookery.mjs"), "start", "--dir", migrationsDir], {
      cwd: ROOT,
      env: {
        ...binEnv(),
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: testQueuePrefix("start"),
        PORT: "0",
        LOG_LEVEL: "warn",
        SLACK_BOT_TOKEN: "xoxb-start-test",
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: fake.apiUrl,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitUntil(async () => /ready \(HTTP mode, port \d+\)/.test(output), "rookery start to be ready", 30_000);
      const port = Number(/port (\d+)/.exec(output)![1]);
      expect(output).not.toContain("xoxb-start-test");
      expect(output).not.toContain(signingSecret);

      const { url, id } = fake.newResponseUrl();
      const sender = new SignedSlackSender(`http://127.0.0.1:${port}/slack/events`, signingSecret);
      const reply = await sender.slashCommand({ userId: "UREQUESTER", teamId: "T1", channelId: "C1", text: "status", responseUrl: url });
      expect(reply.status).toBe(200);
      const answer = await fake.waitForCall((call) => call.responseId === id);
      expect(answer.body.text).toBe("development: current version none");

      const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(healthz.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain("# TYPE");

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toContain("rookery: stopped");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
