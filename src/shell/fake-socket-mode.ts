import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import {
  blockActionsPayload,
  eventCallbackBody,
  slashCommandFields,
  viewSubmissionPayload,
  type ClickInput,
  type EventInput,
  type SlackReply,
  type SlackSender,
  type SlashCommandInput,
  type ViewSubmissionInput,
} from "./signed-requests.ts";

/** Slack redelivers an envelope nobody acknowledged; an ack later than this is a failure here. */
const ACK_TIMEOUT_MS = 3000;

/**
 * Slack's Socket Mode on loopback, served by the fake Web API: `apps.connections.open` hands out a
 * `ws://127.0.0.1:…` URL, a connection gets `hello`, then envelopes (slash_commands, interactive,
 * events_api) that the app acknowledges by `envelope_id`. `requestRefresh()` sends a `disconnect` of
 * type `refresh_requested` and `drop()` kills the sockets outright: the app must reconnect either way.
 */
export class FakeSocketMode implements SlackSender {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly waitingAcks = new Map<string, (payload: Record<string, unknown>) => void>();
  private readonly connectedListeners = new Set<() => void>();
  /** How many connections the app opened (a reconnect counts again). */
  connectionsOpened = 0;
  private ping: NodeJS.Timeout;

  constructor(private readonly baseWsUrl: string) {
    this.server.on("connection", (socket) => this.accept(socket));
    // Slack pings; a client that hears nothing for a while reconnects on its own.
    this.ping = setInterval(() => this.sockets.forEach((socket) => socket.ping()), 5000);
    this.ping.unref();
  }

  /** The URL `apps.connections.open` answers with. */
  connectionUrl(): string {
    return `${this.baseWsUrl}/socket-mode?ticket=${randomUUID()}`;
  }

  /** Takes the HTTP upgrade of a socket-mode URL; false for any other path. */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!request.url?.startsWith("/socket-mode")) return false;
    this.server.handleUpgrade(request, socket, head, (ws) => this.server.emit("connection", ws, request));
    return true;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Resolves once the app has an open, greeted connection (a new one after `afterCount` opened so far). */
  waitForConnection(afterCount = 0, timeoutMs = 20_000): Promise<void> {
    if (this.connectionsOpened > afterCount && this.sockets.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectedListeners.delete(listener);
        reject(new Error(`fake Socket Mode: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = () => {
        if (this.connectionsOpened <= afterCount) return;
        clearTimeout(timer);
        this.connectedListeners.delete(listener);
        resolve();
      };
      this.connectedListeners.add(listener);
    });
  }

  /** Slack recycling the connection: `disconnect` with `refresh_requested`. */
  requestRefresh(): void {
    for (const socket of this.sockets) socket.send(JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "fake" } }));
  }

  /** The network dropping every connection without a close handshake. */
  drop(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** Sends one envelope and resolves with the app's acknowledgement payload (`{}` for a bare ack). */
  async deliver(type: "slash_commands" | "interactive" | "events_api", payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const [socket] = this.sockets;
    if (!socket) throw new Error("fake Socket Mode: the app has no open connection");
    const envelopeId = randomUUID();
    const acked = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waitingAcks.delete(envelopeId);
        reject(new Error(`fake Socket Mode: envelope ${type} not acknowledged within ${ACK_TIMEOUT_MS} ms`));
      }, ACK_TIMEOUT_MS);
      this.waitingAcks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    socket.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== "events_api", retry_attempt: 0, retry_reason: "" }));
    return acked;
  }

  private async reply(type: "slash_commands" | "interactive" | "events_api", payload: Record<string, unknown>): Promise<SlackReply> {
    try {
      const ack = await this.deliver(type, payload);
      return { status: 200, body: Object.keys(ack).length === 0 ? "" : JSON.stringify(ack) };
    } catch (error) {
      return { status: 504, body: (error as Error).message };
    }
  }

  slashCommand(input: SlashCommandInput): Promise<SlackReply> {
    return this.reply("slash_commands", slashCommandFields(input));
  }

  clickButton(input: ClickInput): Promise<SlackReply> {
    return this.reply("interactive", blockActionsPayload(input));
  }

  submitView(input: ViewSubmissionInput): Promise<SlackReply> {
    return this.reply("interactive", viewSubmissionPayload(input));
  }

  event(input: EventInput): Promise<SlackReply> {
    return this.reply("events_api", eventCallbackBody(input));
  }

  close(): void {
    clearInterval(this.ping);
    for (const socket of this.sockets) socket.terminate();
    this.server.close();
  }

  private accept(socket: WebSocket): void {
    this.sockets.add(socket);
    this.connectionsOpened += 1;
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => this.sockets.delete(socket));
    socket.on("message", (data) => {
      let message: { envelope_id?: string; payload?: Record<string, unknown> };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message.envelope_id) this.waitingAcks.get(message.envelope_id)?.(message.payload ?? {});
      this.waitingAcks.delete(message.envelope_id ?? "");
    });
    socket.send(JSON.stringify({ type: "hello", num_connections: this.sockets.size, debug_info: { host: "fake", approximate_connection_time: 3600 }, connection_info: { app_id: "AROOKERY" } }));
    for (const listener of [...this.connectedListeners]) listener();
  }
}
