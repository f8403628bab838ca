import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, onTestFinished } from "vitest";
import { stringify as stringifyYaml } from "yaml";
import { readCatalog } from "../../src/catalog/index.ts";
import { EnvironmentSchema, type Config } from "../../src/config/index.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { HealthAlert, JobOutcome, Notifier, WatchNews } from "../../src/queue/index.ts";
import { createRequest, ensureControlSchema, getRequest, listAudit, type AuditRecord, type ChangeRequest, type NewRequest, type RequestStatus, type WatchRecord } from "../../src/requests/index.ts";
import type { ProgressEvent } from "../../src/runner/types.ts";
import type { DrillReport } from "../../src/runner/drill.ts";
import { redisUrl } from "./services.ts";
import { binEnv } from "./cli.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A config with one environment, "production", on a test database; control schema in `controlUrl`. */
export function queueTestConfig(options: {
  databaseUrl: string;
  controlUrl: string;
  migrationsDir: string;
  queuePrefix: string;
  redisUrl?: string;
  environment?: Record<string, unknown>;
}): Config {
  const production = { ...EnvironmentSchema.parse({ databaseUrl: options.databaseUrl, ...options.environment }), name: "production" };
  return {
    environments: { production },
    migrationsDir: options.migrationsDir,
    controlDatabaseUrl: options.controlUrl,
    redisUrl: options.redisUrl ?? redisUrl(),
    queuePrefix: options.queuePrefix,
    port: 0,
    logLevel: "silent",
    slack: {},
    source: "test config",
  };
}

export const quietLogger = () => createLogger({ level: "silent" });

/** A control-database pool with the schema in place, closed when the file ends. */
export async function controlPool(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  await ensureControlSchema(pool);
  afterAll(() => pool.end());
  return pool;
}

/** A change request for 20251101_000001 on production by UREQUESTER, needing one approval, open for an hour. */
export function requestInput(overrides: Partial<NewRequest> = {}): NewRequest {
  return {
    kind: "apply",
    environment: "production",
    versions: ["20251101_000001"],
    checksums: { "20251101_000001": "a".repeat(64) },
    requestedBy: "UREQUESTER",
    approvalsRequired: 1,
    expiresAt: new Date(Date.now() + 3_600_000),
    ...overrides,
  };
}

/** An approved request (no approvals needed) for these versions, checksums pinned from the folder as it is now. */
export async function approvedRequest(
  pool: pg.Pool,
  config: Config,
  versions: string[],
  options: { kind?: "apply" | "rollback"; reason?: string; environment?: string; requestedBy?: string } = {},
): Promise<ChangeRequest> {
  const catalog = readCatalog(config.migrationsDir);
  const checksums = Object.fromEntries(versions.map((version) => [version, catalog.byVersion.get(version)!.checksum]));
  return createRequest(
    pool,
    requestInput({
      kind: options.kind ?? "apply",
      environment: options.environment ?? "production",
      versions,
      checksums,
      reason: options.reason ?? null,
      approvalsRequired: 0,
      ...(options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy }),
    }),
  );
}

/** Polls until the request reaches one of `statuses` (the worker runs elsewhere); fails after `timeoutMs`. */
export async function waitForRequest(pool: pg.Pool, id: string, statuses: RequestStatus[], timeoutMs = 45_000): Promise<ChangeRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const request = await getRequest(pool, id);
    if (request && statuses.includes(request.status)) return request;
    if (Date.now() > deadline) throw new Error(`request ${id} is ${request?.status}, still not ${statuses.join("/")} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls `check` every `everyMs` until it holds; fails after `timeoutMs`, naming `what`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 45_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Polls a request's audit log until it holds every entry of `expected`, each written as `summary` writes
 * it; a click is audited after its handler's replies, so a test that saw the reply may still be early.
 */
export async function waitForAudit(pool: pg.Pool, requestId: string, summary: (entry: AuditRecord) => string, expected: string[], timeoutMs = 10_000): Promise<string[]> {
  let seen: string[] = [];
  try {
    await waitUntil(async () => {
      seen = (await listAudit(pool, { requestId })).map(summary);
      return expected.every((entry) => seen.includes(entry));
    }, "the audit entries", timeoutMs);
  } catch {
    throw new Error(`audit of ${requestId} lacks ${expected.filter((entry) => !seen.includes(entry)).join(", ")}; it holds ${seen.join(", ")}`);
  }
  return seen;
}

/** Polls a watch (found by `find`) until `done` says so; fails after `timeoutMs`, naming `what`. */
export async function waitForWatch(find: () => Promise<WatchRecord | null>, done: (watch: WatchRecord) => boolean, what: string, timeoutMs = 30_000): Promise<WatchRecord> {
  let found: WatchRecord | null = null;
  await waitUntil(async () => (found = await find()) !== null && done(found), what, timeoutMs);
  return found!;
}

/** A Notifier that keeps what it was told, for assertions (the Slack layer's stand-in, not a mock of a service). */
export function recordingNotifier(): Notifier & {
  started: Notifier["started"];
  events: {
    started: string[];
    progress: ProgressEvent[];
    finished: { request: ChangeRequest; outcome: JobOutcome }[];
    expired: ChangeRequest[];
    alerts: HealthAlert[];
    watch: { watch: WatchRecord; request: ChangeRequest | null; news: WatchNews }[];
    drills: DrillReport[];
  };
} {
  const events = {
    started: [] as string[],
    progress: [] as ProgressEvent[],
    finished: [] as { request: ChangeRequest; outcome: JobOutcome }[],
    expired: [] as ChangeRequest[],
    alerts: [] as HealthAlert[],
    watch: [] as { watch: WatchRecord; request: ChangeRequest | null; news: WatchNews }[],
    drills: [] as DrillReport[],
  };
  return {
    events,
    async started(request) {
      events.started.push(request.id);
    },
    async progress(_request, event) {
      events.progress.push(event);
    },
    async finished(request, outcome) {
      events.finished.push({ request, outcome });
    },
    async expired(request) {
      events.expired.push(request);
    },
    async alert(_environment, alert) {
      events.alerts.push(alert);
    },
    async watch(watch, request, news) {
      events.watch.push({ watch, request, news });
    },
    async drillReport(_environment, report) {
      events.drills.push(report);
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `rookery worker ARGS` as a real child process, resolved once it printed that it is ready. Call it inside a test. */
export async function spawnWorker(
  config: Config,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
  /** More keys of the production environment in the worker's config file (autoRollback, ...). */
  settings: Record<string, unknown> = {},
): Promise<WorkerProcess> {
  const folder = mkdtempSync(path.join(os.tmpdir(), "rookery-worker-"));
  const configFile = path.join(folder, "rookery.config.yml");
  writeFileSync(configFile, stringifyYaml({ environments: { production: { databaseUrl: config.environments.production!.databaseUrl, ...settings } } }));
  const child = spawn(process.execPath, [path.join(ROOT, "bin/rookery.mjs"), "worker", "--dir", config.migrationsDir, "--config", configFile, ...args], {
    cwd: ROOT,
    env: {
      ...binEnv(),
      CONTROL_DATABASE_URL: config.controlDatabaseUrl,
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      LOG_LEVEL: "warn",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  // Called inside a test: whatever the test's outcome, no worker outlives it.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(folder, { recursive: true, force: true });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", () => output.includes("ready") && resolve());
    void exited.then(({ code }) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
  await ready;
  return { child, output: () => output, exited };
}
