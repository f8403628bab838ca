import { createHmac } from "node:crypto";

/**
 * What Slack sends to the app, built the way Slack builds it, and two ways to deliver it: signed HTTP
 * requests (v0 HMAC-SHA256 of `v0:timestamp:body`) into the HTTP receiver, or envelopes over the fake
 * Web API's Socket Mode connection (fake-socket-mode.ts). The local shell, the tests and the benchmark
 * drive the real receivers with these, so the app is exercised through the same path as in production.
 */

export interface SlackUser {
  userId: string;
  teamId: string;
  userName?: string;
}

export interface SlackReply {
  status: number;
  body: string;
}

export type SlashCommandInput = SlackUser & { text: string; channelId: string; responseUrl: string; command?: string };
export type ClickInput = SlackUser & { actionId: string; value: string; channelId: string; messageTs: string; responseUrl: string };
export type ViewSubmissionInput = SlackUser & { view: Record<string, unknown>; values: Record<string, string> };
export type EventInput = { teamId: string; event: Record<string, unknown> };

/** Everything Slack can send Rookery, whichever way it arrives. */
export interface SlackSender {
  slashCommand(input: SlashCommandInput): Promise<SlackReply>;
  clickButton(input: ClickInput): Promise<SlackReply>;
  /** A modal's submission (view_submission) with these values per block id. */
  submitView(input: ViewSubmissionInput): Promise<SlackReply>;
  /** An Events API event (app_home_opened, …). */
  event(input: EventInput): Promise<SlackReply>;
}

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

let issued = 0;
/** A trigger_id as the fake Web API checks it: when it was issued (valid 3 s) and for whom. */
function triggerId(userId: string): string {
  return `trigger.${Date.now()}.${++issued}.user=${userId}`;
}

export function slashCommandFields(input: SlashCommandInput): Record<string, string> {
  return {
    token: "deprecated-verification-token",
    team_id: input.teamId,
    team_domain: "local",
    channel_id: input.channelId,
    channel_name: "migrations",
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command ?? "/migrate",
    text: input.text,
    api_app_id: "AROOKERY",
    response_url: input.responseUrl,
    trigger_id: triggerId(input.userId),
  };
}

export function blockActionsPayload(input: ClickInput): Record<string, unknown> {
  return {
    type: "block_actions",
    user: { id: input.userId, username: input.userName ?? input.userId.toLowerCase(), team_id: input.teamId },
    api_app_id: "AROOKERY",
    token: "deprecated-verification-token",
    container: { type: "message", message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: false },
    trigger_id: triggerId(input.userId),
    team: { id: input.teamId, domain: "local" },
    channel: { id: input.channelId, name: "migrations" },
    message: { type: "message", ts: input.messageTs, text: "" },
    response_url: input.responseUrl,
    actions: [{ type: "button", action_id: input.actionId, block_id: "actions", value: input.value, action_ts: `${Date.now() / 1000}` }],
  };
}

export function viewSubmissionPayload(input: ViewSubmissionInput): Record<string, unknown> {
  return {
    type: "view_submission",
    team: { id: input.teamId, domain: "local" },
    user: { id: input.userId, username: input.userName ?? input.userId.toLowerCase(), team_id: input.teamId },
    api_app_id: "AROOKERY",
    token: "deprecated-verification-token",
    trigger_id: triggerId(input.userId),
    view: {
      ...input.view,
      team_id: input.teamId,
      state: { values: Object.fromEntries(Object.entries(input.values).map(([blockId, value]) => [blockId, { value: { type: "plain_text_input", value } }])) },
    },
  };
}

export function eventCallbackBody(input: EventInput): Record<string, unknown> {
  return {
    token: "deprecated-verification-token",
    team_id: input.teamId,
    api_app_id: "AROOKERY",
    type: "event_callback",
    event_id: `Ev${Date.now()}${++issued}`,
    event_time: Math.floor(Date.now() / 1000),
    event: input.event,
  };
}

/** Signed HTTP requests into the app's HTTP receiver (POST /slack/events). */
export class SignedSlackSender implements SlackSender {
  constructor(
    private readonly eventsUrl: string,
    private readonly signingSecret: string,
  ) {}

  slashCommand(input: SlashCommandInput): Promise<SlackReply> {
    return this.post(new URLSearchParams(slashCommandFields(input)).toString(), "application/x-www-form-urlencoded");
  }

  clickButton(input: ClickInput): Promise<SlackReply> {
    return this.post(new URLSearchParams({ payload: JSON.stringify(blockActionsPayload(input)) }).toString(), "application/x-www-form-urlencoded");
  }

  submitView(input: ViewSubmissionInput): Promise<SlackReply> {
    return this.post(new URLSearchParams({ payload: JSON.stringify(viewSubmissionPayload(input)) }).toString(), "application/x-www-form-urlencoded");
  }

  event(input: EventInput): Promise<SlackReply> {
    return this.post(JSON.stringify(eventCallbackBody(input)), "application/json");
  }

  /** Any body, signed (or signed with `secret` to forge one). */
  async post(body: string, contentType: string, options: { secret?: string; timestamp?: number } = {}): Promise<SlackReply> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(this.eventsUrl, {
      method: "POST",
      headers: {
        "content-type": contentType,
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": slackSignature(options.secret ?? this.signingSecret, timestamp, body),
      },
      body,
    });
    return { status: response.status, body: await response.text() };
  }
}
