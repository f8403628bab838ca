import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Kills it (no shutdown save: there is no persistence) and starts an empty one on the same port. */
  restartEmpty(): Promise<void>;
  /** Kills it and leaves it down until `start()`. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server of the test's own on a free port, without persistence: a restart loses every key. Removed when the file ends. */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await waitForPort(port, "redis-server");
  };
  await start();
  const redis: ThrowawayRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restartEmpty() {
      await stopChild(child);
      await start();
    },
    kill: () => stopChild(child),
    start,
    stop: () => stopChild(child),
  };
  afterAll(() => redis.stop());
  return redis;
}

export interface ThrowawayPostgres {
  /** The `postgres` database of the cluster, as the postgres user. */
  url: string;
  urlFor(database: string): string;
  /** pg_ctl stop -m immediate (a crash: open transactions are lost), then start again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const PG_BIN = (() => {
  const found = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : "/usr/lib/postgresql/15/bin";
})();

/** Runs a Postgres tool as the postgres user when we are root (initdb refuses root). */
function pgTool(tool: string, args: string[]): { status: number | null; output: string } {
  const command = path.join(PG_BIN, tool);
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8" })
    : spawnSync(command, args, { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** A Postgres cluster of the test's own (initdb) on a free port, removed when the file ends; `settings` are extra `-c` server settings. */
export async function startThrowawayPostgres(settings: Record<string, string> = {}): Promise<ThrowawayPostgres> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "rookery-pg-"));
  chmodSync(dir, 0o777);
  const data = path.join(dir, "data");
  const init = pgTool("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40 -c shared_buffers=16MB${Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`).join("")}`;
  const start = async () => {
    const started = pgTool("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "start"]);
    if (started.status !== 0) throw new Error(`pg_ctl start failed: ${started.output}`);
    await waitForPort(port, "postgres");
  };
  const stop = async () => {
    pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
  };
  await start();
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: urlFor("postgres"),
    urlFor,
    async restart() {
      await stop();
      await start();
    },
    stop,
    start,
  };
}
