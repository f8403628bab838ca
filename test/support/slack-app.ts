import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";
import { DrillSchema, EnvironmentSchema, type Config } from "../../src/config/index.ts";
import { createLogger } from "../../src/log/logger.ts";
import { startRookery, type RunningRookery } from "../../src/main.ts";
import { startFakeSlackApi, type FakeSlackApi, type RecordedCall } from "../../src/shell/fake-slack-api.ts";
import { SignedSlackSender, type SlackReply, type SlackSender } from "../../src/shell/signed-requests.ts";
import { requestIdOfBlocks } from "../../src/slack/views/request-message.ts";
import { migrationsFolder } from "./cli.ts";
import { createTestDatabase, redisUrl, testQueuePrefix } from "./services.ts";

/**
 * The whole Slack path of Rookery for a test file: the real Bolt app in HTTP mode on a free port,
 * the fake Slack Web API on loopback as its SLACK_API_URL, the real worker on the file's own queue
 * prefix, a real database (target and control). Requests go in signed, exactly as Slack sends them.
 */

export const USERS = {
  requester: "UREQUESTER",
  approver1: "UAPPROVER1",
  /** An approver only through the user group SAPPROVERS. */
  approver2: "UAPPROVER2",
  outsider: "UOUTSIDER",
} as const;
export const TEAM = "TTEAM1";
export const CHANNEL = "CMIGRATIONS";
export const ALERT_CHANNEL = "CALERTS";

export interface SlackHarness {
  fake: FakeSlackApi;
  config: Config;
  rookery: RunningRookery;
  /** How Slack's requests reach the app: signed HTTP, or envelopes over the fake's Socket Mode. */
  sender: SlackSender;
  /** The HTTP sender (HTTP mode only), for forged or raw requests. */
  http?: SignedSlackSender;
  mode: SlackMode;
  databaseUrl: string;
  control: pg.Pool;
  /** Sends `/migrate <text>` as `userId`; returns the HTTP reply and the id of its response_url. */
  command(userId: string, text: string): Promise<SlackReply & { responseId: string }>;
  /** The answer posted to a command's or click's response_url. */
  answer(responseId: string): Promise<Record<string, unknown>>;
  /** Clicks a button of a request message as `userId`. */
  click(userId: string, actionId: string, request: RequestRef): Promise<SlackReply & { responseId: string }>;
  /** The request message posted for the n-th request (0-based) of this file. */
  requestMessage(index: number): Promise<RequestRef>;
  /** The n-th modal (0-based) the app opened with views.open, as Slack holds it (with its id). */
  modal(index: number): Promise<Record<string, unknown>>;
  /** Submits a modal with these field values as `userId`; returns the app's acknowledgement (`{}` or its `errors`). */
  submitModal(userId: string, view: Record<string, unknown>, values: Record<string, string>): Promise<Record<string, unknown>>;
}

export interface RequestRef {
  requestId: string;
  channel: string;
  ts: string;
}

/** Calls real Slack would have refused for a limit (or a used-up response_url): none may happen in a test. */
export function refusedCalls(fake: FakeSlackApi): RecordedCall[] {
  const limitErrors = new Set(["invalid_blocks", "msg_too_long", "no_text", "used_url", "invalid_arguments"]);
  return fake.calls.filter((call) => !call.injected && (limitErrors.has(String(call.response.error)) || call.status === 400));
}

/** How Slack sends typed text to the app: `&`, `<` and `>` escaped. */
export function slackEscaped(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function textOf(body: Record<string, unknown>): string {
  return `${String(body.text ?? "")}\n${JSON.stringify(body.blocks ?? [])}`;
}

function requestIdOf(call: RecordedCall): string | undefined {
  return requestIdOfBlocks(call.body.blocks);
}

/** The two ways Slack reaches the app: both run the same end-to-end tests. */
export type SlackMode = "http" | "socket";
export const SLACK_MODES: SlackMode[] = ["http", "socket"];

export async function startSlackHarness(options: {
  label: string;
  migrations: Record<string, string>;
  environments: (databaseUrl: string) => Record<string, Record<string, unknown>>;
  /** `drills:` as in the config file. */
  drills?: Record<string, unknown>[];
  jobs?: boolean;
  /** HTTP receiver (default) or Socket Mode through the fake's apps.connections.open. */
  mode?: SlackMode;
}): Promise<SlackHarness> {
  const mode = options.mode ?? "http";
  const databaseUrl = await createTestDatabase(options.label);
  const fake = await startFakeSlackApi({ teamId: TEAM, userGroups: { SAPPROVERS: [USERS.approver2] } });
  const signingSecret = randomBytes(16).toString("hex");
  const environments = Object.fromEntries(
    Object.entries(options.environments(databaseUrl)).map(([name, settings]) => [name, { ...EnvironmentSchema.parse(settings), name }]),
  );
  const config: Config = {
    environments,
    ...(options.drills ? { drills: options.drills.map((drill) => DrillSchema.parse(drill)) } : {}),
    migrationsDir: migrationsFolder(options.migrations),
    controlDatabaseUrl: databaseUrl,
    redisUrl: redisUrl(),
    queuePrefix: testQueuePrefix(options.label),
    port: 0,
    logLevel: "silent",
    slack: { botToken: "xoxb-test-token", signingSecret, apiUrl: fake.apiUrl, ...(mode === "socket" ? { appToken: "xapp-test-token" } : {}) },
    source: "test config",
  };
  const rookery = await startRookery(config, {
    port: 0,
    jobs: options.jobs ?? true,
    logger: createLogger({ level: "silent" }),
    worker: { reconcileEverySeconds: 1 },
  });
  const control = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  control.on("error", () => {});
  afterAll(async () => {
    await rookery.stop();
    await control.end();
    await fake.close();
    // No test may pass on a message real Slack would refuse.
    const refused = refusedCalls(fake);
    if (refused.length > 0) {
      throw new Error(`Slack would have refused ${refused.length} call(s): ${refused.map((call) => `${call.method} ${String(call.response.error)} ${JSON.stringify(call.response.errors ?? "")}`).join("; ").slice(0, 2000)}`);
    }
  });
  const http = mode === "http" ? new SignedSlackSender(`http://127.0.0.1:${rookery.port}/slack/events`, signingSecret) : undefined;
  const sender: SlackSender = http ?? fake.socketMode;
  const isRequestMessage = (call: RecordedCall) => call.method === "chat.postMessage" && !call.body.thread_ts && requestIdOf(call) !== undefined;

  return {
    fake,
    config,
    rookery,
    sender,
    ...(http ? { http } : {}),
    mode,
    databaseUrl,
    control,
    async command(userId, text) {
      const { url, id } = fake.newResponseUrl();
      const reply = await sender.slashCommand({ userId, teamId: TEAM, channelId: CHANNEL, text, responseUrl: url });
      return { ...reply, responseId: id };
    },
    async answer(responseId) {
      return (await fake.waitForCall((call) => call.method === "response_url" && call.responseId === responseId)).body;
    },
    async click(userId, actionId, request) {
      const { url, id } = fake.newResponseUrl();
      const reply = await sender.clickButton({
        userId,
        teamId: TEAM,
        actionId,
        value: request.requestId,
        channelId: request.channel,
        messageTs: request.ts,
        responseUrl: url,
      });
      return { ...reply, responseId: id };
    },
    async modal(index) {
      let seen = 0;
      const call = await fake.waitForCall((candidate) => candidate.method === "views.open" && candidate.response.ok === true && seen++ === index);
      return call.response.view as Record<string, unknown>;
    },
    async submitModal(userId, view, values) {
      const reply = await sender.submitView({ userId, teamId: TEAM, view, values });
      if (reply.status !== 200) throw new Error(`view_submission answered HTTP ${reply.status}: ${reply.body}`);
      return reply.body === "" ? {} : (JSON.parse(reply.body) as Record<string, unknown>);
    },
    async requestMessage(index) {
      let seen = 0;
      const call = await fake.waitForCall((candidate) => isRequestMessage(candidate) && seen++ === index);
      return { requestId: requestIdOf(call)!, channel: String(call.response.channel), ts: String(call.response.ts) };
    },
  };
}
