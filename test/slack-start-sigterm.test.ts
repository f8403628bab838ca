import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startFakeSlackApi } from "../src/shell/fake-slack-api.ts";
import { SignedSlackSender } from "../src/shell/signed-requests.ts";
import { binEnv, migrationsFolder } from "./support/cli.ts";
import { waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, redisUrl, testQueuePrefix } from "./support/services.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("`rookery start` with Slack tokens: bot, worker and scheduler in one process", async () => {
  const fake = await startFakeSlackApi();
  afterAll(() => fake.close());
  const signingSecret = randomBytes(16).toString("hex");
  const migrationsDir = migrationsFolder({
    "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
    "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE widgets;\n",
  });

  /** `rookery start` in HTTP mode on a database of its own; resolves once it is ready. */
  async function startRookery(label: string) {
    const databaseUrl = await createTestDatabase(label);
    const child = spawn(process.execPath, [path.join(ROOT, "bin/rookery.mjs"), "start", "--dir", migrationsDir], {
      cwd: ROOT,
      env: {
        ...binEnv(),
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: testQueuePrefix(label),
        PORT: "0",
        LOG_LEVEL: "warn",
        SLACK_BOT_TOKEN: "xoxb-start-test",
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: fake.apiUrl,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = { child, databaseUrl, output: "", port: 0, exited: new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code))) };
    child.stdout.on("data", (chunk) => (started.output += chunk));
    child.stderr.on("data", (chunk) => (started.output += chunk));
    await waitUntil(async () => /ready \(HTTP mode, port \d+\)/.test(started.output), "rookery start to be ready", 30_000);
    started.port = Number(/port (\d+)/.exec(started.output)![1]);
    return started;
  }

  it("serves /migrate, /healthz and /metrics on PORT, and exits 0 on SIGTERM", async () => {
    const rookery = await startRookery("start");
    try {
      expect(rookery.output).not.toContain("xoxb-start-test");
      expect(rookery.output).not.toContain(signingSecret);

      const { url, id } = fake.newResponseUrl();
      const sender = new SignedSlackSender(`http://127.0.0.1:${rookery.port}/slack/events`, signingSecret);
      const reply = await sender.slashCommand({ userId: "UREQUESTER", teamId: "T1", channelId: "C1", text: "status", responseUrl: url });
      expect(reply.status).toBe(200);
      const answer = await fake.waitForCall((call) => call.responseId === id);
      expect(answer.body.text).toBe("development: current version none");

      const healthz = await fetch(`http://127.0.0.1:${rookery.port}/healthz`);
      expect(healthz.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${rookery.port}/metrics`)).text();
      expect(metrics).toContain("# TYPE");

      rookery.child.kill("SIGTERM");
      expect(await rookery.exited).toBe(0);
      expect(rookery.output).toContain("rookery: stopped");
    } finally {
      if (rookery.child.exitCode === null) rookery.child.kill("SIGKILL");
    }
  });

  it("finishes a /migrate apply acknowledged just before SIGTERM: its request, audit row and answer are written", async () => {
    const rookery = await startRookery("startinflight");
    try {
      const { url, id } = fake.newResponseUrl();
      const sender = new SignedSlackSender(`http://127.0.0.1:${rookery.port}/slack/events`, signingSecret);
      const reply = await sender.slashCommand({ userId: "UREQUESTER", teamId: "T1", channelId: "C2", text: "apply all development", responseUrl: url });
      expect(reply.status).toBe(200);
      // Slack has its acknowledgement; the command is still being handled when the orchestrator stops the process.
      rookery.child.kill("SIGTERM");
      expect(await rookery.exited).toBe(0);
      expect(rookery.output).not.toContain("Cannot use a pool after calling end");
      expect(rookery.output).toContain("rookery: stopped\n");

      // The answer is the request's message in the channel (approvals 0: approved at once), never the pool's error.
      expect(fake.calls.some((call) => call.method === "chat.postMessage" && String(call.body.text).startsWith("Apply 20251101_000001 on development"))).toBe(true);
      expect(fake.calls.filter((call) => call.responseId === id || call.method.startsWith("chat.")).map((call) => String(call.body.text))).not.toContainEqual(
        expect.stringContaining("Cannot use a pool"),
      );
      // The request is in the control database (queued, or already run by the worker before it stopped), never lost.
      const requests = await query<{ kind: string; status: string }>(rookery.databaseUrl, "SELECT kind, status FROM rookery_control.requests");
      expect(requests).toHaveLength(1);
      expect(requests[0]!.kind).toBe("apply");
      const actions = (await query<{ action: string }>(rookery.databaseUrl, "SELECT action FROM rookery_control.audit_log ORDER BY id")).map((row) => row.action);
      expect(actions).toContain("command.apply");
      expect(actions).not.toContain("command.refused");
    } finally {
      if (rookery.child.exitCode === null) rookery.child.kill("SIGKILL");
    }
  });
});
