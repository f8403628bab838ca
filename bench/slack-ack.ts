/**
 * Acknowledgement latency of `/migrate`: 50 concurrent signed slash commands into the real app in HTTP
 * mode (each answered afterwards with a database read), beside a bare Bolt app whose listener only
 * acks, measured in the same run against the same fake Slack API. Slack gives up after 3 s; the aim is
 * a p99 within 1.25x of the bare app, which holds only if the listener acks before any DB/Redis work.
 */
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { App, HTTPReceiver } from "@slack/bolt";
import { readCatalog } from "../src/catalog/index.ts";
import { EnvironmentSchema, type Config } from "../src/config/index.ts";
import { createLogger } from "../src/log/logger.ts";
import { startRookery } from "../src/main.ts";
import { startFakeSlackApi, type FakeSlackApi } from "../src/shell/fake-slack-api.ts";
import { SignedSlackSender } from "../src/shell/signed-requests.ts";
import { createScratchDatabase } from "./scratch-database.ts";

const CONCURRENT = 50;
const ROUNDS = 5;
const SLACK_LIMIT_MS = 3000;
const TARGET_RATIO = 1.25;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One burst of CONCURRENT commands; each latency is the time to the HTTP response, i.e. Bolt's ack. */
async function burst(sender: SignedSlackSender, fake: FakeSlackApi): Promise<number[]> {
  return Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      const { url } = fake.newResponseUrl();
      const started = performance.now();
      const reply = await sender.slashCommand({ userId: "UBENCH", teamId: "TBENCH", channelId: "CBENCH", text: "status", responseUrl: url });
      if (reply.status !== 200) throw new Error(`slash command answered HTTP ${reply.status}`);
      return performance.now() - started;
    }),
  );
}

async function bareApp(fake: FakeSlackApi, signingSecret: string): Promise<{ sender: SignedSlackSender; stop(): Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret, endpoints: "/slack/events" });
  const app = new App({ token: "xoxb-bench", botId: "BBENCH", botUserId: "UBENCHBOT", receiver, clientOptions: { slackApiUrl: fake.apiUrl } });
  app.command("/migrate", async ({ ack }) => {
    await ack();
  });
  const server = (await app.start(0)) as Server;
  const { port } = server.address() as AddressInfo;
  return { sender: new SignedSlackSender(`http://127.0.0.1:${port}/slack/events`, signingSecret), stop: () => app.stop().then(() => {}) };
}

function summary(latencies: number[]): { median: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export async function run(): Promise<void> {
  const database = await createScratchDatabase("ack");
  const { url } = database;
  const fake = await startFakeSlackApi();
  const signingSecret = randomBytes(16).toString("hex");
  const config: Config = {
    environments: { development: { ...EnvironmentSchema.parse({ databaseUrl: url }), name: "development" } },
    migrationsDir: readCatalog("migrations").dir,
    controlDatabaseUrl: url,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    queuePrefix: `rookery-bench-ack-${randomBytes(3).toString("hex")}`,
    port: 0,
    logLevel: "silent",
    slack: { botToken: "xoxb-bench", signingSecret, apiUrl: fake.apiUrl },
    source: "bench",
  };
  const rookery = await startRookery(config, { port: 0, jobs: false, logger: createLogger({ level: "silent" }) });
  const bare = await bareApp(fake, signingSecret);
  const rookerySender = new SignedSlackSender(`http://127.0.0.1:${rookery.port}/slack/events`, signingSecret);
  try {
    // Warm both (JIT, connection pools), then alternate bursts so drift on the machine hits both alike.
    await burst(bare.sender, fake);
    await burst(rookerySender, fake);
    await fake.waitForCall(() => fake.callsTo("response_url").length >= CONCURRENT);
    const measured = { bare: [] as number[], rookery: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      measured.bare.push(...(await burst(bare.sender, fake)));
      const answered = fake.callsTo("response_url").length;
      measured.rookery.push(...(await burst(rookerySender, fake)));
      // Let the round's slow work (the status answers) finish before the next burst.
      await fake.waitForCall(() => fake.callsTo("response_url").length >= answered + CONCURRENT, 60_000);
    }
    const ours = summary(measured.rookery);
    const base = summary(measured.bare);
    const ratio = ours.p99 / base.p99;
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(`slack-ack: ${ROUNDS} bursts of ${CONCURRENT} concurrent signed /migrate status (Slack's limit ${SLACK_LIMIT_MS} ms)`);
    console.log(`  rookery   median ${fmt(ours.median)}  p99 ${fmt(ours.p99)}`);
    console.log(`  bare Bolt median ${fmt(base.median)}  p99 ${fmt(base.p99)}`);
    console.log(
      `  p99 ratio ${ratio.toFixed(2)}x (aim <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? "met" : "NOT met"}); p99 is ${((ours.p99 / SLACK_LIMIT_MS) * 100).toFixed(1)}% of Slack's 3 s`,
    );
  } finally {
    await bare.stop();
    await rookery.stop();
    await fake.close();
    await database.drop();
  }
}
