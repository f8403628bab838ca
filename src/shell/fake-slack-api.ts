import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback stand-in for the Slack Web API: the methods Rookery calls, answered the way Slack answers,
 * every call recorded. The local shell renders from it and the tests assert on it; Slack itself is
 * never reachable from here.
 */

export interface RecordedCall {
  /** `chat.postMessage`, `chat.update`, ... or `response_url` for a post to a command's response_url. */
  method: string;
  body: Record<string, unknown>;
  /** For `response_url` calls: which response URL (one per slash command or click). */
  responseId?: string;
  /** What the fake answered (`ts` of a posted message, `ok: false` with the error). */
  response: Record<string, unknown>;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  /** Set for ephemeral messages: only this user sees it. */
  visibleTo?: string;
}

export interface FakeSlackApi {
  /** The base URL to give the app as SLACK_API_URL (ends with `/api/`). */
  readonly apiUrl: string;
  readonly calls: readonly RecordedCall[];
  /** Channel messages as they stand now, updates applied, in posting order. */
  readonly messages: ReadonlyMap<string, FakeMessage>;
  /** User group id -> member user ids, answered by usergroups.users.list. */
  readonly userGroups: Map<string, string[]>;
  /** Channels the bot is not in: posting there fails with `not_in_channel`, as in a private channel. */
  readonly closedChannels: Set<string>;
  /** A fresh response_url; posts to it are recorded as `response_url` calls with this id. */
  newResponseUrl(): { url: string; id: string };
  callsTo(method: string): RecordedCall[];
  /** Resolves with the first call (past or future) matching `predicate`; rejects after `timeoutMs`. */
  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  onCall(listener: (call: RecordedCall) => void): () => void;
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  userGroups?: Record<string, string[]>;
}

const JSON_FIELDS = new Set(["blocks", "attachments", "metadata"]);

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (contentType?.includes("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    body[key] = JSON_FIELDS.has(key) ? safeJson(value) : value;
  }
  return body;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export async function startFakeSlackApi(options: FakeSlackOptions = {}): Promise<FakeSlackApi> {
  const identity = {
    botUserId: options.botUserId ?? "UROOKERYBOT",
    botId: options.botId ?? "BROOKERY",
    teamId: options.teamId ?? "TLOCAL",
  };
  const calls: RecordedCall[] = [];
  const messages = new Map<string, FakeMessage>();
  const userGroups = new Map(Object.entries(options.userGroups ?? {}));
  const closedChannels = new Set<string>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let tsCounter = 0;
  let responseCounter = 0;
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsCounter).padStart(6, "0")}`;
  const key = (channel: string, ts: string) => `${channel}/${ts}`;

  const methods: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    "auth.test": () => ({ ok: true, user_id: identity.botUserId, bot_id: identity.botId, team_id: identity.teamId }),
    "chat.postMessage": (body) => {
      const channel = text(body.channel);
      if (!channel) return { ok: false, error: "channel_not_found" };
      if (closedChannels.has(channel)) return { ok: false, error: "not_in_channel" };
      const ts = nextTs();
      const message: FakeMessage = { channel, ts, text: text(body.text), blocks: asArray(body.blocks) };
      if (body.thread_ts) message.threadTs = text(body.thread_ts);
      messages.set(key(channel, ts), message);
      return { ok: true, channel, ts, message: { text: message.text, ts } };
    },
    "chat.update": (body) => {
      const message = messages.get(key(text(body.channel), text(body.ts)));
      if (!message) return { ok: false, error: "message_not_found" };
      message.text = text(body.text);
      message.blocks = asArray(body.blocks);
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
    },
    "chat.postEphemeral": (body) => {
      const channel = text(body.channel);
      if (!channel || !body.user) return { ok: false, error: "channel_not_found" };
      const ts = nextTs();
      messages.set(key(channel, ts), {
        channel,
        ts,
        text: text(body.text),
        blocks: asArray(body.blocks),
        visibleTo: text(body.user),
      });
      return { ok: true, message_ts: ts };
    },
    "usergroups.users.list": (body) => {
      const users = userGroups.get(text(body.usergroup));
      return users ? { ok: true, users } : { ok: false, error: "no_such_subteam" };
    },
  };

  const record = (call: RecordedCall) => {
    calls.push(call);
    events.emit("call", call);
  };

  const server = http.createServer(async (request, response) => {
    const raw = await readBody(request);
    const url = new URL(request.url ?? "/", "http://localhost");
    const reply = (status: number, payload: Record<string, unknown>) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(payload));
    };
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, request.headers["content-type"]);
    } catch {
      reply(400, { ok: false, error: "invalid_json" });
      return;
    }
    const responseMatch = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (responseMatch) {
      record({ method: "response_url", body, responseId: responseMatch[1]!, response: { ok: true } });
      reply(200, { ok: true });
      return;
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const handler = methods[method];
    if (!request.headers.authorization?.startsWith("Bearer ") && method !== "auth.test") {
      const refusal = { ok: false, error: "not_authed" };
      record({ method, body, response: refusal });
      reply(200, refusal);
      return;
    }
    // Recorded before it is answered, so a waiter sees the call as soon as the app made it.
    const result = handler ? handler(body) : { ok: false, error: "unknown_method" };
    record({ method, body, response: result });
    reply(200, result);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${base}/api/`,
    calls,
    messages,
    userGroups,
    closedChannels,
    newResponseUrl() {
      const id = `r${++responseCounter}`;
      return { url: `${base}/response/${id}`, id };
    },
    callsTo: (method) => calls.filter((call) => call.method === method),
    waitForCall(predicate, timeoutMs = 15_000) {
      const found = calls.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off("call", listener);
          reject(new Error(`fake Slack API: no matching call within ${timeoutMs} ms (${calls.length} calls recorded)`));
        }, timeoutMs);
        const listener = (call: RecordedCall) => {
          if (!predicate(call)) return;
          clearTimeout(timer);
          events.off("call", listener);
          resolve(call);
        };
        events.on("call", listener);
      });
    },
    onCall(listener) {
      events.on("call", listener);
      return () => events.off("call", listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
