/**
 * A fleet of small tenant databases on the local server (BENCH_FLEET_DATABASES, default 200), three
 * migrations each, applied three ways on the same databases (reset in between):
 *   psql floor   a sequential loop: one `psql -f 1 -f 2 -f 3` per database, no ledger
 *   1 worker     one `rookery worker` process (concurrency 4) running an approved request across the fleet
 *   4 workers    four `rookery worker` processes (concurrency 4 each) sharing the same request
 * The time of a Rookery run is from the request reaching the queue to the request succeeding. Peak RSS is
 * each worker process's VmHWM: 1 worker handles every database, each of 4 about a quarter of them. One
 * worker's peak RSS at the end of the whole fleet against halfway through it (sampled every 20 ms) shows
 * whether a worker's memory grows with the fleet (the aim); it also runs the first BENCH_FLEET_SMALL
 * (default 20) databases alone, printed beside, though a run that short catches a worker still growing its
 * heap to its working size. Connections are each worker's most TCP connections to Postgres at once
 * (sampled from /proc every 200 ms).
 * Then a second release (three more files) on the same fleet, whose databases have the ledger by now: the
 * psql loop over the new files, and 4 workers (the fleet's every release after its first). The aim is
 * the first release's, where Rookery also creates every database's ledger.
 * BENCH_FLEET_SKIP_FLOOR / BENCH_FLEET_SKIP_FOUR leave those runs out (a quick memory check);
 * BENCH_WORKER_NODE_OPTIONS is the workers' NODE_OPTIONS (`--heapsnapshot-signal=SIGUSR2`, say);
 * BENCH_FLEET_MAX_PARALLEL / BENCH_FLEET_WAVE_SIZE set the fleet's maxParallel (16) and waveSize (50).
 * Each run also says where the CPU went: the worker processes', the Postgres server's (every process of
 * it, ended backends included, when the server runs here), the Redis server's, this process's own (its
 * polling and sampling) and the whole machine's (/proc/stat), so a run that is short of CPU says so.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import pg from "pg";
import { stringify } from "yaml";
import { DEFAULT_DATABASE_URL, loadConfig } from "../src/config/index.ts";
import { createLogger } from "../src/log/logger.ts";
import { createJobQueue, dispatchOutbox } from "../src/queue/index.ts";
import { createRequest, ensureControlSchema, getRequest, pinTargets } from "../src/requests/index.ts";
import { catalogOf, resolveTargets } from "../src/targets/index.ts";
import { ensureFreshBuild } from "../test/support/build.ts";
import { seconds } from "./measure.ts";

const COUNT = Number(process.env.BENCH_FLEET_DATABASES ?? 200);
/** The smaller fleet the peak RSS per worker is compared with. */
const SMALL = Math.min(COUNT, Number(process.env.BENCH_FLEET_SMALL ?? 20));
const MAX_PARALLEL = Number(process.env.BENCH_FLEET_MAX_PARALLEL ?? 16);
const WAVE_SIZE = Number(process.env.BENCH_FLEET_WAVE_SIZE ?? 50);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../bin/rookery.mjs");
const MIGRATIONS = {
  "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY, email text);\n",
  "2025_11_03/002_campaigns.sql": "CREATE TABLE campaigns (id bigint PRIMARY KEY, name text NOT NULL);\n",
  "2025_11_03/003_lead_campaign.sql": "ALTER TABLE leads ADD COLUMN campaign_id bigint;\n",
};

const adminUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

function urlOf(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** `work` on every item, `width` at once. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Every database back to empty: no tables, no ledger. */
async function reset(names: string[]): Promise<void> {
  await inParallel(names, 8, (name) => withClient(urlOf(name), (client) => client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")).then(() => {}));
}

function peakBytes(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : 0;
}

function startWorkerProcess(configFile: string, dir: string, env: Record<string, string>): Promise<ChildProcess> {
  const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {};
  const child = spawn(process.execPath, [BIN, "worker", "--config", configFile, "--dir", dir, "--concurrency", "4"], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...nodeOptions, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      if (output.includes("ready")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`worker exited ${code} before it was ready: ${output.slice(-2000)}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** The second release: the same shapes, on tables of its own. */
const SECOND_RELEASE = {
  "2025_11_10/001_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n",
  "2025_11_10/002_tags.sql": "CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);\n",
  "2025_11_10/003_note_tag.sql": "ALTER TABLE notes ADD COLUMN tag_id bigint;\n",
};

function writeMigrations(dir: string, migrations: Record<string, string>): void {
  for (const [file, sql] of Object.entries(migrations)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), sql);
  }
}

function psqlFloor(names: string[], dir: string, migrations: Record<string, string> = MIGRATIONS): number {
  const files = Object.keys(migrations).flatMap((file) => ["-f", path.join(dir, file)]);
  const started = performance.now();
  for (const name of names) {
    const run = spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", urlOf(name), ...files], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`psql on ${name} failed: ${run.stderr}`);
  }
  return performance.now() - started;
}

/** CPU seconds (user + system) a process used itself, and its reaped children. */
function processCpu(pid: number): { own: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ").map(Number);
  const tick = 100; // USER_HZ on Linux
  return { own: (fields[11]! + fields[12]!) / tick, children: (fields[13]! + fields[14]!) / tick };
}

/** CPU seconds the whole machine spent busy (everything but idle and iowait), over all cores. */
function machineBusy(): number {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const values = ticks.map(Number);
  return (values.reduce((sum, value) => sum + value, 0) - values[3]! - values[4]!) / 100;
}

/** The local server's postmaster; undefined when it is not readable here. */
function postmasterPid(): number | undefined {
  try {
    const dataDir = spawnSync("psql", ["-X", "-At", "-d", adminUrl, "-c", "SHOW data_directory"], { encoding: "utf8" }).stdout.trim();
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    processCpu(pid);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the Postgres server has used: the postmaster's own, its ended children's (backends it
 * reaped) and its live children's (the control database's pooled backends, the WAL writer, the
 * checkpointer, autovacuum), so a backend alive at both ends of a run counts too.
 */
function postgresCpu(postmaster: number | undefined): number | undefined {
  if (postmaster === undefined) return undefined;
  const { own, children } = processCpu(postmaster);
  let live = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(fields[1]) === postmaster) live += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // ended while we read
    }
  }
  return own + children + live;
}

interface CpuUse {
  workers: number;
  postgres: number | undefined;
  /** The Redis server's, where it runs here (Rookery runs only). */
  redis?: number;
  /** This benchmark process's own: its polling of the request and its /proc sampling (Rookery runs only). */
  bench?: number;
  machine: number;
}

function cpuLine(use: CpuUse, ms: number): string {
  const postgres = use.postgres === undefined ? "" : `, Postgres server ${use.postgres.toFixed(1)} s`;
  const redis = use.redis === undefined ? "" : `, Redis ${use.redis.toFixed(1)} s`;
  const bench = use.bench === undefined ? "" : `, this bench ${use.bench.toFixed(1)} s`;
  return `CPU: workers ${use.workers.toFixed(1)} s${postgres}${redis}${bench}, whole machine ${use.machine.toFixed(1)} s (${(use.machine / (ms / 1000)).toFixed(2)} of ${os.cpus().length} cores busy)`;
}

/** The Redis server's pid, when it runs on this machine and says so; undefined otherwise. */
async function redisPid(redisUrl: string): Promise<number | undefined> {
  const redis = new Redis(redisUrl);
  try {
    const pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
    processCpu(pid);
    return pid;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

interface WorkerRun {
  ms: number;
  cpu: CpuUse;
  peaks: number[];
  /** The most connections to Postgres each worker process held at once (sampled every 200 ms). */
  connections: number[];
  /** Each worker's peak RSS halfway through the run's time, about half its databases done (sampled every 20 ms). */
  halfwayPeaks: number[];
}

/** The TCP connections of a process to the Postgres port: its socket inodes matched in /proc/net/tcp{,6}. */
function postgresConnections(pid: number, port: number): number {
  let inodes: Set<string>;
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]; } catch { return undefined; } }).filter((inode) => inode !== undefined));
  } catch {
    return 0;
  }
  // A client's established connection to the port: the remote address's port, then state 01 (a server-side
  // line has the port in its local address, followed by an address, not by " 01 ").
  const established = `:${port.toString(16).toUpperCase().padStart(4, "0")} 01 `;
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n")) {
      if (!line.includes(established)) continue;
      // inode is fields[9]
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && inodes.has(fields[9]!)) count += 1;
    }
  }
  return count;
}

async function rookeryRun(workers: number, setup: { dir: string; configFile: string; controlUrl: string }): Promise<WorkerRun> {
  const prefix = `rookery-bench-fleet-${randomBytes(4).toString("hex")}`;
  // The workers' code caches in the run's own folder (removed with it), not the home of whoever runs the bench.
  const compileCache = path.join(path.dirname(setup.dir), "compile-cache");
  const env = { CONTROL_DATABASE_URL: setup.controlUrl, REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", QUEUE_PREFIX: prefix, ROOKERY_COMPILE_CACHE: compileCache };
  const config = loadConfig({ env, cwd: path.dirname(setup.configFile), configFile: setup.configFile, migrationsDir: setup.dir });
  const pool = new pg.Pool({ connectionString: setup.controlUrl, max: 2 });
  const queue = createJobQueue(config.redisUrl, prefix);
  const processes: ChildProcess[] = [];
  const connections: number[] = [];
  /** [when, each worker's peak RSS so far] */
  const peaksOverTime: [number, number[]][] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    await ensureControlSchema(pool);
    for (let index = 0; index < workers; index += 1) processes.push(await startWorkerProcess(setup.configFile, setup.dir, env));
    const port = Number(new URL(setup.controlUrl).port || 5432);
    processes.forEach((_, index) => (connections[index] = 0));
    // The TCP tables are read every 10th tick only: they hold every closed connection's TIME_WAIT line too,
    // thousands in a fleet run, and the kernel writing them out every 20 ms cost this process half a core,
    // taken from the workers it measures (a 200-database run: 3.5-3.9 s of this process's CPU in 6.5-7.2 s).
    let tick = 0;
    sampler = setInterval(() => {
      if (tick++ % 10 === 0) processes.forEach((child, index) => (connections[index] = Math.max(connections[index]!, postgresConnections(child.pid!, port))));
      peaksOverTime.push([performance.now(), processes.map((child) => peakBytes(child.pid!))]);
    }, 20);
    const targets = resolveTargets(config, config.environments.production!);
    const { versions, checksums } = pinTargets(targets.map((target) => ({ target: target.name, migrations: catalogOf(target).migrations })));
    const request = await createRequest(pool, {
      kind: "apply",
      environment: "production",
      versions,
      checksums,
      requestedBy: "cli:bench",
      approvalsRequired: 0,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const postmaster = postmasterPid();
    const redisServer = await redisPid(config.redisUrl);
    const before = { workers: processes.map((child) => processCpu(child.pid!).own), postgres: postgresCpu(postmaster), redis: redisServer === undefined ? 0 : processCpu(redisServer).own, bench: process.cpuUsage(), machine: machineBusy() };
    const started = performance.now();
    await dispatchOutbox({ controlPool: pool, queue, logger: createLogger({ level: "silent" }) });
    for (;;) {
      const now = await getRequest(pool, request.id);
      if (now?.status === "succeeded") break;
      if (now?.status === "failed") throw new Error(`the fleet request failed: ${now.error}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const ms = performance.now() - started;
    clearInterval(sampler);
    const cpu = {
      workers: processes.reduce((sum, child, index) => sum + processCpu(child.pid!).own - before.workers[index]!, 0),
      postgres: postmaster === undefined ? undefined : postgresCpu(postmaster)! - before.postgres!,
      redis: redisServer === undefined ? undefined : processCpu(redisServer).own - before.redis,
      bench: (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(before.bench)),
      machine: machineBusy() - before.machine,
    };
    const halfway = peaksOverTime.findLast(([when]) => when <= started + ms / 2)?.[1] ?? processes.map(() => 0);
    return { ms, cpu, peaks: processes.map((child) => peakBytes(child.pid!)), connections, halfwayPeaks: halfway };
  } finally {
    clearInterval(sampler);
    await Promise.all(processes.map(stop));
    await queue.close();
    await pool.end();
    const redis = new Redis(config.redisUrl);
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

/** The config of a fleet of these databases. */
function writeConfig(file: string, dir: string, controlName: string, names: string[]): void {
  const fleet = { databases: names.map((name) => ({ name, databaseUrl: urlOf(name) })), canary: 1, waveSize: WAVE_SIZE, maxParallel: MAX_PARALLEL };
  writeFileSync(file, stringify({ environments: { production: { databaseUrl: urlOf(controlName), targets: { tenants: { dir, fleet } } } } }));
}

export async function run(): Promise<void> {
  ensureFreshBuild();
  const tag = randomBytes(3).toString("hex");
  const names = Array.from({ length: COUNT }, (_, index) => `rookery_bench_fleet_${tag}_${index}`);
  const controlName = `rookery_bench_fleet_${tag}_control`;
  const root = mkdtempSync(path.join(os.tmpdir(), "rookery-bench-fleet-"));
  const created: string[] = [];
  try {
    const dir = path.join(root, "migrations");
    writeMigrations(dir, MIGRATIONS);
    await withClient(adminUrl, async (client) => {
      for (const name of [controlName, ...names]) {
        await client.query(`CREATE DATABASE ${name}`);
        created.push(name);
      }
    });
    const small = names.slice(0, SMALL);
    const configFile = path.join(root, "rookery.config.yml");
    const smallConfigFile = path.join(root, "rookery.small.config.yml");
    writeConfig(configFile, dir, controlName, names);
    writeConfig(smallConfigFile, dir, controlName, small);
    console.log(`${COUNT} databases, 3 migrations each; fleet: canary 1, waves of ${WAVE_SIZE}, maxParallel ${MAX_PARALLEL}; each worker process concurrency 4`);
    const setup = { dir, configFile, controlUrl: urlOf(controlName) };

    const postmaster = postmasterPid();
    const floorBefore = { postgres: postgresCpu(postmaster), machine: machineBusy() };
    const floor = process.env.BENCH_FLEET_SKIP_FLOOR ? NaN : psqlFloor(names, dir);
    const floorCpu: CpuUse = { workers: 0, postgres: postmaster === undefined ? undefined : postgresCpu(postmaster)! - floorBefore.postgres!, machine: machineBusy() - floorBefore.machine };
    await reset(names);
    const oneSmall = await rookeryRun(1, { ...setup, configFile: smallConfigFile });
    await reset(small);
    const one = await rookeryRun(1, setup);
    await reset(names);
    const four = process.env.BENCH_FLEET_SKIP_FOUR ? undefined : await rookeryRun(4, setup);
    // The second release, on databases that now hold the first one and the ledger.
    let second: { floor: number; floorCpu: CpuUse; four: WorkerRun } | undefined;
    if (four && !Number.isNaN(floor)) {
      writeMigrations(dir, SECOND_RELEASE);
      const secondBefore = { postgres: postgresCpu(postmaster), machine: machineBusy() };
      const secondFloor = psqlFloor(names, dir, SECOND_RELEASE);
      const secondFloorCpu: CpuUse = { workers: 0, postgres: postmaster === undefined ? undefined : postgresCpu(postmaster)! - secondBefore.postgres!, machine: machineBusy() - secondBefore.machine };
      await inParallel(names, 8, (name) => withClient(urlOf(name), (client) => client.query("DROP TABLE notes, tags")).then(() => {}));
      second = { floor: secondFloor, floorCpu: secondFloorCpu, four: await rookeryRun(4, setup) };
    }

    const ratio = (ms: number) => (Number.isNaN(floor) ? "" : `${(floor / ms).toFixed(2)}x the floor's speed`);
    console.log(`psql loop (floor)       ${Number.isNaN(floor) ? "skipped" : `${seconds(floor)}  ${cpuLine(floorCpu, floor).replace("workers 0.0 s, ", "")}`}`);
    console.log(`rookery, 1 worker       ${seconds(oneSmall.ms)}  peak RSS ${mb(oneSmall.peaks[0]!)}, at most ${oneSmall.connections[0]} Postgres connections (${SMALL} databases)`);
    console.log(`rookery, 1 worker       ${seconds(one.ms)}  ${ratio(one.ms)}  peak RSS ${mb(one.peaks[0]!)}, at most ${one.connections[0]} Postgres connections (all ${COUNT} databases)`);
    console.log(`                        ${cpuLine(one.cpu, one.ms)}`);
    // The small run is a second or so of work, where a worker is still growing its heap to its working size; the
    // same worker halfway through the whole fleet has done as many databases again as it does after.
    const growth = one.peaks[0]! / one.halfwayPeaks[0]!;
    console.log(`peak RSS per worker at ${COUNT} databases / at ${SMALL} (a run of its own): ${(one.peaks[0]! / oneSmall.peaks[0]!).toFixed(2)}`);
    console.log(`peak RSS per worker at the end / halfway through (about ${Math.round(COUNT / 2)} databases done), one worker: ${mb(one.peaks[0]!)} / ${mb(one.halfwayPeaks[0]!)} = ${growth.toFixed(2)} (aim: within 10%, ${Math.abs(growth - 1) <= 0.1 ? "met" : "NOT met"})`);
    if (four) {
      console.log(`rookery, 4 workers      ${seconds(four.ms)}  ${ratio(four.ms)}  peak RSS ${four.peaks.map(mb).join(", ")}, at most ${four.connections.join(", ")} Postgres connections (about ${Math.round(COUNT / 4)} databases each)`);
      console.log(`                        ${cpuLine(four.cpu, four.ms)}`);
      console.log(`aim: 4 workers at least 2x the floor's speed: ${floor / four.ms >= 2 ? "met" : "NOT met"}`);
    }
    if (second) {
      console.log(`second release, every database already has the ledger:`);
      console.log(`psql loop (floor)       ${seconds(second.floor)}  ${cpuLine(second.floorCpu, second.floor).replace("workers 0.0 s, ", "")}`);
      console.log(`rookery, 4 workers      ${seconds(second.four.ms)}  ${(second.floor / second.four.ms).toFixed(2)}x the floor's speed`);
      console.log(`                        ${cpuLine(second.four.cpu, second.four.ms)}`);
    }
  } finally {
    await withClient(adminUrl, async (client) => {
      for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
    rmSync(root, { recursive: true, force: true });
  }
}
