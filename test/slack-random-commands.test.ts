import { describe, expect, it } from "vitest";
import { createJobQueue } from "../src/queue/index.ts";
import { query } from "./support/services.ts";
import { startSlackHarness, USERS } from "./support/slack-app.ts";

/** A deterministic generator, so a failure can be replayed from its seed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

// Everything a person might mistype; no token here names the configured environment "production".
const WORDS = [
  "apply", "rollback", "status", "plan", "history", "health", "verify", "help", "APPLY", "Rollback", "freeze",
  "all", "ALL", "20251101_000001", "20251101_000002", "20251301_000001", "2025-11-01", "20251101", "99999999_999999",
  "Production", "prod", "staging", "dev elopment", "-1", "0", "101", "1e3", "NaN", "'", '"', "\\", "`", "$1", "%s",
  "<@U123>", "&amp;", "&lt;script&gt;", "'; DROP TABLE schema_migrations; --", "🚀", "日本語", "\t", "--env", "null", "undefined",
  "x".repeat(300),
];

function randomText(next: () => number): string {
  const length = Math.floor(next() * 7);
  const words = Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)]!);
  return words.join(next() < 0.2 ? "  " : " ");
}

describe("1,000 random /migrate texts: each one answered, nothing requested, nothing enqueued", async () => {
  const harness = await startSlackHarness({
    label: "slack-random",
    migrations: {
      "2025_11_01/001_create_widgets.sql": "CREATE TABLE widgets (id bigint PRIMARY KEY);\n",
      "2025_11_01/rollback_001_create_widgets.sql": "DROP TABLE IF EXISTS widgets;\n",
    },
    environments: (databaseUrl) => ({ production: { databaseUrl, approvals: 1, approvers: [USERS.approver1] } }),
  });

  it("acknowledges every one with 200 and posts exactly one answer to its response_url", async () => {
    const next = random(20251125);
    const texts = Array.from({ length: 1000 }, () => randomText(next));
    const responseIds: string[] = [];
    for (let start = 0; start < texts.length; start += 25) {
      const replies = await Promise.all(texts.slice(start, start + 25).map((text) => harness.command(USERS.requester, text)));
      expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200));
      responseIds.push(...replies.map((reply) => reply.responseId));
    }
    for (const id of responseIds) await harness.answer(id);
    const answers = harness.fake.callsTo("response_url");
    expect(new Set(answers.map((call) => call.responseId)).size).toBe(1000);
    expect(answers).toHaveLength(1000);
    // Every refusal is a sentence with a way out, not a stack trace.
    for (const call of answers.filter((answer) => answer.body.response_type === "ephemeral")) {
      expect(String(call.body.text)).not.toMatch(/at .*\.ts:\d+|TypeError|undefined is not/);
    }

    expect(await query(harness.databaseUrl, "SELECT id FROM rookery_control.requests")).toEqual([]);
    expect(harness.fake.callsTo("chat.postMessage")).toEqual([]);
    const queue = createJobQueue(harness.config.redisUrl, harness.config.queuePrefix);
    try {
      const jobs = await queue.getJobs(["waiting", "active", "delayed", "completed", "failed", "prioritized"]);
      expect(jobs.filter((job) => job.name === "apply" || job.name === "rollback")).toEqual([]);
    } finally {
      await queue.close();
    }
    // The app still answers normally afterwards.
    const status = await harness.answer((await harness.command(USERS.requester, "status")).responseId);
    expect(status.text).toBe("production: current version none");
  });
});
