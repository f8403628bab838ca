import net from "node:net";
import { afterAll } from "vitest";

/**
 * How the proxy treats bytes right now:
 * pass: forwarded (after `latencyMs`); drop: swallowed in both directions, sockets kept open, as a
 * dead network or a load balancer that stops forwarding while still answering TCP keepalives;
 * pause: held back, then delivered in order by `resume()`.
 */
export type FaultMode = "pass" | "drop" | "pause";

export interface FaultProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Every byte waits this long before it is forwarded (0: none). */
  latency(ms: number): void;
  /** Drop every byte from now on, in both directions, on open and new connections. */
  drop(): void;
  /**
   * Drop every byte, both ways, of the connections open now (kept open), and only of them: new
   * connections pass. One flow lost by a load balancer while the server stays reachable.
   */
  dropOpen(): void;
  /** Hold every byte from now on until `resume()`. */
  pause(): void;
  /** Forward again; what `pause()` held is delivered first. */
  resume(): void;
  /** Ends every open connection with a TCP reset (the proxy keeps accepting new ones). */
  reset(): void;
  /** The server is gone: open connections reset, new ones refused (ECONNREFUSED) until `up()`. */
  down(): Promise<void>;
  /** Accepting again, on the same port. */
  up(): Promise<void>;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

interface Leg {
  from: net.Socket;
  to: net.Socket;
  held: Buffer[];
}

/**
 * A loopback TCP proxy in front of `target` (host:port) that injects network faults on command:
 * the test's own toxiproxy. Closed when the test file ends.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = "pass";
  let latencyMs = 0;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const legs: Leg[] = [];
  const blackholed = new Set<net.Socket>();

  const forward = (leg: Leg, chunk: Buffer) => {
    if (mode === "drop" || blackholed.has(leg.from)) return;
    if (mode === "pause") {
      leg.held.push(chunk);
      return;
    }
    if (latencyMs > 0) setTimeout(() => leg.to.destroyed || leg.to.write(chunk), latencyMs);
    else leg.to.write(chunk);
  };

  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        // A dropped network tells neither side that the other went away.
        if (mode !== "drop" && !blackholed.has(socket)) (socket === client ? upstream : client).destroy();
      });
    }
    const outbound: Leg = { from: client, to: upstream, held: [] };
    const inbound: Leg = { from: upstream, to: client, held: [] };
    legs.push(outbound, inbound);
    client.on("data", (chunk: Buffer) => forward(outbound, chunk));
    upstream.on("data", (chunk: Buffer) => forward(inbound, chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;

  const proxy: FaultProxy = {
    port,
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    latency(ms) {
      latencyMs = ms;
    },
    drop() {
      mode = "drop";
    },
    dropOpen() {
      for (const socket of sockets) blackholed.add(socket);
    },
    pause() {
      mode = "pause";
    },
    resume() {
      mode = "pass";
      for (const leg of legs) {
        for (const chunk of leg.held.splice(0)) if (!leg.to.destroyed) leg.to.write(chunk);
      }
    },
    reset() {
      for (const socket of [...sockets]) socket.resetAndDestroy();
    },
    async down() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of [...sockets]) socket.resetAndDestroy();
      await closed;
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
    connections: () => accepted,
    async close() {
      for (const socket of [...sockets]) socket.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
  afterAll(() => proxy.close());
  return proxy;
}

/** The proxy in front of the server a Postgres or Redis URL names. */
export function startFaultProxyFor(url: string): Promise<FaultProxy> {
  const parsed = new URL(url);
  const defaultPort = parsed.protocol.startsWith("redis") ? 6379 : 5432;
  return startFaultProxy({ host: parsed.hostname || "127.0.0.1", port: Number(parsed.port || defaultPort) });
}
