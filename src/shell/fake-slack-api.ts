import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { messageViolation, viewViolation, type LimitViolation } from "../slack/views/limits.ts";
import { FakeSocketMode } from "./fake-socket-mode.ts";

/**
 * A loopback stand-in for the Slack Web API: the methods Rookery calls, answered the way Slack answers,
 * every call recorded. The local shell renders from it and the tests assert on it; Slack itself is
 * never reachable from here. It is as strict as Slack: a payload over a limit is refused with
 * `invalid_blocks` / `msg_too_long` (the same check as the app's, src/slack/views/limits.ts), posting
 * faster than Slack allows gets HTTP 429 with `Retry-After`, and a response_url takes 5 answers, each
 * a valid message, then answers 400.
 */

export interface RecordedCall {
  /** `chat.postMessage`, `chat.update`, ... or `response_url` for a post to a command's response_url. */
  method: string;
  body: Record<string, unknown>;
  /** For `response_url` calls: which response URL (one per slash command or click). */
  responseId?: string;
  /** What the fake answered (`ts` of a posted message, `ok: false` with the error). */
  response: Record<string, unknown>;
  /** The HTTP status when it was not 200 (429 rate limited, 400 a refused response_url post). */
  status?: number;
  /** The answer was forced by a test (`failNext`, `rateLimitNext`), not earned by the call. */
  injected?: boolean;
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

export interface FakeFile {
  id: string;
  filename: string;
  title?: string;
  altText?: string;
  /** The file's bytes as uploaded (for a PNG: from its signature to its IEND chunk). */
  bytes: Buffer;
  /** Where it was shared by files.completeUploadExternal; undefined while only uploaded. */
  channel?: string;
  threadTs?: string;
}

/** Slack's limit on one file. */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface FakeSlackApi {
  /** The base URL to give the app as SLACK_API_URL (ends with `/api/`). */
  readonly apiUrl: string;
  readonly calls: readonly RecordedCall[];
  /** Channel messages as they stand now, updates applied, in posting order. */
  readonly messages: ReadonlyMap<string, FakeMessage>;
  /** User group id -> member user ids, answered by usergroups.users.list. */
  readonly userGroups: Map<string, string[]>;
  /** Modals open now, by view id (views.open / views.update), each with the user it was opened for. */
  readonly views: ReadonlyMap<string, { view: Record<string, unknown>; userId?: string }>;
  /** Files shared through files.uploadV2 (getUploadURLExternal, the upload, completeUploadExternal), by id. */
  readonly files: ReadonlyMap<string, FakeFile>;
  /** Each user's published Home tab (views.publish). */
  readonly homes: ReadonlyMap<string, Record<string, unknown>>;
  /** Slack's Socket Mode, for an app started with an app token (xapp-…): deliver envelopes, refresh, drop. */
  readonly socketMode: FakeSocketMode;
  /** Channels the bot is not in: posting there fails with `not_in_channel`, as in a private channel. */
  readonly closedChannels: Set<string>;
  /** A fresh response_url; posts to it are recorded as `response_url` calls with this id. */
  newResponseUrl(): { url: string; id: string };
  /** The next `times` calls to `method` get HTTP 429 with `Retry-After: retryAfterSeconds`, whatever the rate. */
  rateLimitNext(method: string, retryAfterSeconds: number, times?: number): void;
  /** The next call to `method` (and, with `when`, whose body matches) answers `{ ok: false, error }`, e.g. `invalid_blocks`. */
  failNext(method: string, error: string, when?: (body: Record<string, unknown>) => boolean): void;
  /**
   * The next call to `method` is carried out and recorded at once but answered `ms` later, as when Slack's
   * reply is slow to reach the app: a posted message is in the channel, for people to click, before the app has its ts.
   */
  answerLate(method: string, ms: number): void;
  /** The calls to `method` that were answered (rate-limited attempts left out; `calls` has them). */
  callsTo(method: string): RecordedCall[];
  /** Resolves with the first answered call (past or future) matching `predicate`; rejects after `timeoutMs`. */
  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  onCall(listener: (call: RecordedCall) => void): () => void;
  close(): Promise<void>;
}

/** Slack's per-method rates (token buckets); `false` turns rate limiting off. */
export interface FakeRateLimits {
  /** chat.postMessage: about one a second per channel, with short bursts. */
  postMessagePerChannel: { burst: number; perSecond: number };
  /** chat.update: Tier 3, about 50 a minute for the workspace. */
  update: { burst: number; perSecond: number };
}

export const SLACK_RATES: FakeRateLimits = {
  postMessagePerChannel: { burst: 4, perSecond: 1 },
  update: { burst: 20, perSecond: 50 / 60 },
};

export interface FakeSlackOptions {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  userGroups?: Record<string, string[]>;
  rateLimits?: FakeRateLimits | false;
}

/** Answers a response_url takes before it is used up (Slack: 5 within 30 minutes). */
const RESPONSE_URL_USES = 5;

class TokenBucket {
  private tokens: number;
  private at = Date.now();
  constructor(private readonly rate: { burst: number; perSecond: number }) {
    this.tokens = rate.burst;
  }
  /** 0 when a call may go now (and takes its token), else the seconds to wait (Retry-After). */
  take(): number {
    const now = Date.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.at) / 1000) * this.rate.perSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate.perSecond));
  }
}

function refusal(violation: LimitViolation): Record<string, unknown> {
  return { ok: false, error: violation.error, errors: violation.messages, response_metadata: { messages: violation.messages } };
}

const JSON_FIELDS = new Set(["blocks", "attachments", "metadata", "view"]);

/** How long a trigger_id may open a modal, once (Slack: 3 s). */
const TRIGGER_MS = 3000;

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

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
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
  const views = new Map<string, { view: Record<string, unknown>; userId?: string }>();
  const homes = new Map<string, Record<string, unknown>>();
  const usedTriggers = new Set<string>();
  const files = new Map<string, FakeFile>();
  const uploads = new Map<string, { filename: string; length: number; altText?: string }>();
  let fileCounter = 0;
  /** The upload step: the bytes (a multipart body from the Web API client) for a file id handed out before. */
  const receiveUpload = (id: string, body: Buffer): boolean => {
    const pending = uploads.get(id);
    if (!pending) return false;
    const start = body.indexOf(PNG_SIGNATURE);
    const end = body.indexOf("IEND");
    const bytes = start !== -1 && end > start ? body.subarray(start, end + 8) : body;
    files.set(id, { id, filename: pending.filename, ...(pending.altText ? { altText: pending.altText } : {}), bytes: Buffer.from(bytes) });
    uploads.delete(id);
    return true;
  };
  let viewCounter = 0;
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
      const violation = messageViolation(body);
      if (violation) return refusal(violation);
      const ts = nextTs();
      const message: FakeMessage = { channel, ts, text: text(body.text), blocks: asArray(body.blocks) };
      if (body.thread_ts) message.threadTs = text(body.thread_ts);
      messages.set(key(channel, ts), message);
      return { ok: true, channel, ts, message: { text: message.text, ts } };
    },
    "chat.update": (body) => {
      const message = messages.get(key(text(body.channel), text(body.ts)));
      if (!message) return { ok: false, error: "message_not_found" };
      const violation = messageViolation(body);
      if (violation) return refusal(violation);
      message.text = text(body.text);
      message.blocks = asArray(body.blocks);
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
    },
    "chat.postEphemeral": (body) => {
      const channel = text(body.channel);
      if (!channel || !body.user) return { ok: false, error: "channel_not_found" };
      const violation = messageViolation(body);
      if (violation) return refusal(violation);
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
    "apps.connections.open": () => ({ ok: true, url: socketMode.connectionUrl() }),
    "files.getUploadURLExternal": (body) => {
      const filename = text(body.filename);
      const length = Number(body.length);
      if (!filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: "invalid_arguments" };
      if (length > MAX_FILE_BYTES) return { ok: false, error: "file_too_large" };
      const id = `F${String(++fileCounter).padStart(8, "0")}`;
      uploads.set(id, { filename, length, ...(body.alt_txt ? { altText: text(body.alt_txt) } : {}) });
      return { ok: true, upload_url: `${base}/upload/${id}`, file_id: id };
    },
    "files.completeUploadExternal": (body) => {
      const list = typeof body.files === "string" ? (safeJson(body.files) as { id?: string; title?: string }[]) : (body.files as { id?: string; title?: string }[]);
      if (!Array.isArray(list) || list.length === 0) return { ok: false, error: "invalid_arguments" };
      const channel = text(body.channel_id);
      if (channel && closedChannels.has(channel)) return { ok: false, error: "not_in_channel" };
      const shared = [];
      for (const entry of list) {
        const file = files.get(String(entry.id));
        if (!file) return { ok: false, error: "file_not_found" };
        if (entry.title) file.title = entry.title;
        if (channel) file.channel = channel;
        if (body.thread_ts) file.threadTs = text(body.thread_ts);
        shared.push({ id: file.id, name: file.filename, title: file.title ?? file.filename });
      }
      return { ok: true, files: shared };
    },
    "views.open": (body) => {
      // Triggers look like `trigger.<ms since epoch>…` (src/shell/signed-requests.ts issues them).
      const trigger = text(body.trigger_id);
      const issuedAt = Number(/^trigger\.(\d+)/.exec(trigger)?.[1] ?? Number.NaN);
      if (!Number.isFinite(issuedAt)) return { ok: false, error: "invalid_trigger_id" };
      if (Date.now() - issuedAt > TRIGGER_MS || usedTriggers.has(trigger)) return { ok: false, error: "expired_trigger_id" };
      const view = asObject(body.view);
      const violation = viewViolation(view);
      if (violation) return refusal(violation);
      usedTriggers.add(trigger);
      const id = `V${String(++viewCounter).padStart(8, "0")}`;
      const opened = { ...view, id };
      views.set(id, { view: opened, userId: /user=([UW][A-Z0-9]+)/.exec(trigger)?.[1] });
      return { ok: true, view: opened };
    },
    "views.update": (body) => {
      const id = text(body.view_id);
      const existing = views.get(id);
      if (!existing) return { ok: false, error: "not_found" };
      const view = asObject(body.view);
      const violation = viewViolation(view);
      if (violation) return refusal(violation);
      existing.view = { ...view, id };
      return { ok: true, view: existing.view };
    },
    "views.publish": (body) => {
      const userId = text(body.user_id);
      if (!/^[UW][A-Z0-9]+$/.test(userId)) return { ok: false, error: "invalid_arguments" };
      const view = asObject(body.view);
      if (view.type !== "home") return { ok: false, error: "invalid_arguments" };
      const violation = viewViolation(view);
      if (violation) return refusal(violation);
      homes.set(userId, view);
      return { ok: true, view: { ...view, id: `VHOME${userId}` } };
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

  const rates = options.rateLimits === undefined ? SLACK_RATES : options.rateLimits;
  const buckets = new Map<string, TokenBucket>();
  const forced = new Map<string, { retryAfter: number; times: number }>();
  const failures = new Map<string, { error: string; when?: (body: Record<string, unknown>) => boolean }>();
  const lateAnswers = new Map<string, number>();
  const responseUses = new Map<string, number>();
  /** Seconds to wait before this call may be made, or 0. */
  const retryAfter = (method: string, body: Record<string, unknown>): number => {
    const force = forced.get(method);
    if (force && force.times > 0) {
      force.times -= 1;
      return force.retryAfter;
    }
    if (!rates) return 0;
    const rate = method === "chat.postMessage" ? rates.postMessagePerChannel : method === "chat.update" ? rates.update : undefined;
    if (!rate) return 0;
    const bucketKey = method === "chat.postMessage" ? `${method}/${text(body.channel)}` : method;
    let bucket = buckets.get(bucketKey);
    if (!bucket) buckets.set(bucketKey, (bucket = new TokenBucket(rate)));
    return bucket.take();
  };

  /** A response_url post: a valid message, at most five times; otherwise 400 as Slack answers. */
  const answerResponseUrl = (responseId: string, body: Record<string, unknown>): { status: number; payload: Record<string, unknown> } => {
    const uses = (responseUses.get(responseId) ?? 0) + 1;
    responseUses.set(responseId, uses);
    if (uses > RESPONSE_URL_USES) return { status: 400, payload: { ok: false, error: "used_url" } };
    const violation = messageViolation(body);
    if (violation) return { status: 400, payload: refusal(violation) };
    return { status: 200, payload: { ok: true } };
  };

  const server = http.createServer(async (request, response) => {
    const bytes = await readBody(request);
    const raw = bytes.toString("utf8");
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
    const uploadMatch = /^\/upload\/(F[A-Z0-9]+)$/.exec(url.pathname);
    if (uploadMatch) {
      const accepted = receiveUpload(uploadMatch[1]!, bytes);
      record({ method: "file_upload", body: { file_id: uploadMatch[1], bytes: bytes.length }, response: { ok: accepted }, ...(accepted ? {} : { status: 400 }) });
      response.writeHead(accepted ? 200 : 400, { "content-type": "text/plain" });
      response.end(accepted ? `OK - ${bytes.length}` : "no such upload");
      return;
    }
    const responseMatch = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (responseMatch) {
      const { status, payload } = answerResponseUrl(responseMatch[1]!, body);
      record({ method: "response_url", body, responseId: responseMatch[1]!, response: payload, ...(status !== 200 ? { status } : {}) });
      reply(status, payload);
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
    // An app-level token opens Socket Mode connections and nothing else; a bot token cannot open one.
    const appToken = request.headers.authorization?.startsWith("Bearer xapp-") ?? false;
    if (appToken !== (method === "apps.connections.open")) {
      const refusal = { ok: false, error: "not_allowed_token_type" };
      record({ method, body, response: refusal });
      reply(200, refusal);
      return;
    }
    const wait = retryAfter(method, body);
    if (wait > 0) {
      const limited = { ok: false, error: "ratelimited" };
      record({ method, body, response: limited, status: 429 });
      response.writeHead(429, { "content-type": "application/json", "retry-after": String(wait) });
      response.end(JSON.stringify(limited));
      return;
    }
    const planned = failures.get(method);
    const failure = planned && (!planned.when || planned.when(body)) ? planned.error : undefined;
    if (failure) failures.delete(method);
    // Recorded before it is answered, so a waiter sees the call as soon as the app made it.
    const result = failure ? { ok: false, error: failure } : handler ? handler(body) : { ok: false, error: "unknown_method" };
    record({ method, body, response: result, ...(failure ? { injected: true } : {}) });
    const late = lateAnswers.get(method);
    lateAnswers.delete(method);
    if (late === undefined) reply(200, result);
    else setTimeout(() => reply(200, result), late);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const socketMode = new FakeSocketMode(`ws://127.0.0.1:${port}`);
  server.on("upgrade", (request, socket, head) => {
    if (!socketMode.handleUpgrade(request, socket, head)) socket.destroy();
  });

  return {
    apiUrl: `${base}/api/`,
    calls,
    messages,
    socketMode,
    files,
    views,
    homes,
    userGroups,
    closedChannels,
    newResponseUrl() {
      const id = `r${++responseCounter}`;
      return { url: `${base}/response/${id}`, id };
    },
    rateLimitNext(method, retryAfterSeconds, times = 1) {
      forced.set(method, { retryAfter: retryAfterSeconds, times });
    },
    failNext(method, error, when) {
      failures.set(method, when ? { error, when } : { error });
    },
    answerLate(method, ms) {
      lateAnswers.set(method, ms);
    },
    callsTo: (method) => calls.filter((call) => call.method === method && call.status !== 429),
    waitForCall(wanted, timeoutMs = 15_000) {
      // A rate-limited attempt is not the call: the client makes it again after Retry-After.
      const predicate = (call: RecordedCall) => call.status !== 429 && wanted(call);
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
        socketMode.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
