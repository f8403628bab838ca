import { createHmac } from "node:crypto";

/**
 * What Slack sends to the app, signed the way Slack signs it (v0 HMAC-SHA256 of `v0:timestamp:body`).
 * The local shell, the tests and the benchmark drive the real HTTP receiver with these, so the app
 * is exercised through the same path as in production.
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

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

let triggers = 0;
/** A trigger_id as the fake Web API checks it: when it was issued (valid 3 s) and for whom. */
function triggerId(userId: string): string {
  return `trigger.${Date.now()}.${++triggers}.user=${userId}`;
}

export class SignedSlackSender {
  constructor(
    private readonly eventsUrl: string,
    private readonly signingSecret: string,
  ) {}

  async slashCommand(input: SlackUser & { text: string; channelId: string; responseUrl: string; command?: string }): Promise<SlackReply> {
    const body = new URLSearchParams({
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
    }).toString();
    return this.post(body, "application/x-www-form-urlencoded");
  }

  async clickButton(
    input: SlackUser & {
      actionId: string;
      value: string;
      channelId: string;
      messageTs: string;
      responseUrl: string;
    },
  ): Promise<SlackReply> {
    const payload = {
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
      actions: [
        {
          type: "button",
          action_id: input.actionId,
          block_id: "actions",
          value: input.value,
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    };
    return this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), "application/x-www-form-urlencoded");
  }

  /** A modal's submission (view_submission) with these values per block id, as Slack sends it. */
  async submitView(input: SlackUser & { view: Record<string, unknown>; values: Record<string, string> }): Promise<SlackReply> {
    const payload = {
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
    return this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), "application/x-www-form-urlencoded");
  }

  /** An Events API event (app_home_opened, …) wrapped as Slack sends it. */
  async event(input: { teamId: string; event: Record<string, unknown> }): Promise<SlackReply> {
    const body = {
      token: "deprecated-verification-token",
      team_id: input.teamId,
      api_app_id: "AROOKERY",
      type: "event_callback",
      event_id: `Ev${Date.now()}${++triggers}`,
      event_time: Math.floor(Date.now() / 1000),
      event: input.event,
    };
    return this.post(JSON.stringify(body), "application/json");
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
