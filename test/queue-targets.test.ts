import { writeFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig, type Config } from "../src/config/index.ts";
import { startWorker } from "../src/queue/index.ts";
import { createRequest, listTargetRuns, pinTargets, type ChangeRequest } from "../src/requests/index.ts";
import { catalogOf, resolveTargets } from "../src/targets/index.ts";
import { migrationsFolder, rookery, scratchFolder, writeMigration } from "./support/cli.ts";
import { controlPool, quietLogger, recordingNotifier, requestInput, spawnWorker, waitForRequest, waitUntil } from "./support/queue.ts";
import { createTestDatabase, query, redisUrl, testQueuePrefix } from "./support/services.ts";

const TENANT = {
  "2025_11_03/001_leads.sql": "CREATE TABLE leads (id bigint PRIMARY KEY);\n",
  "2025_11_03/002_campaigns.sql": "CREATE TABLE campaigns (id bigint PRIMARY KEY);\n",
  "2025_11_03/003_lead_email.sql": "ALTER TABLE leads ADD COLUMN email text;\n",
};

async function appliedEvents(url: string): Promise<string[]> {
  const ledger = await query<{ present: string | null }>(url, "SELECT to_regclass('public.migration_events')::text AS present");
  if (!ledger[0]!.present) return [];
  const rows = await query<{ version: string }>(url, "SELECT version FROM migration_events WHERE event = 'applied' ORDER BY version");
  return rows.map((row) => row.version);
}

/** A config file with production's targets; the Config as a worker process would load it. */
function writeConfig(environment: Record<string, unknown>, env: Record<string, string>): { file: string; config: Config } {
  const cwd = scratchFolder();
  const file = path.join(cwd, "rookery.config.yml");
  writeFileSync(file, stringify({ environments: { production: environment } }));
  return { file, config: loadConfig({ env, cwd, configFile: file, migrationsDir: cwd }) };
}

/** An approved request for every target of production, each target's files pinned as they are now. */
async function approvedAcrossTargets(pool: pg.Pool, config: Config): Promise<ChangeRequest> {
  const targets = resolveTargets(config, config.environments.production!);
  const { versions, checksums } = pinTargets(targets.map((target) => ({ target: target.name, migrations: catalogOf(target).migrations })));
  return createRequest(pool, requestInput({ versions, checksums, approvalsRequired: 0 }));
}

const controlUrl = await createTestDatabase("qtcontrol");
const pool = await controlPool(controlUrl);

describe("a request across targets on the queue", () => {
  it("each database is its own job under the request's; a broken database halts its wave, and a resume after the fix carries on", async () => {
    const names = Array.from({ length: 20 }, (_, index) => `tenant${String(index + 1).padStart(2, "0")}`);
    const all = await Promise.all(["qtoltp", ...names].map((name) => createTestDatabase(name)));
    const [oltp, urls] = [all[0]!, all.slice(1)];
    await query(urls[6]!, "CREATE TABLE leads (id int)");
    const prefix = testQueuePrefix("qtargets");
    const env = { CONTROL_DATABASE_URL: controlUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: "silent" };
    const { file, config } = writeConfig(
      {
        targets: {
          oltp: { databaseUrl: oltp, dir: migrationsFolder({ "2025_11_01/001_accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n" }) },
          tenants: { dir: migrationsFolder(TENANT), fleet: { databases: names.map((name, index) => ({ name, databaseUrl: urls[index] })), canary: 1, waveSize: 5, maxParallel: 3 } },
        },
      },
      env,
    );
    const notifier = recordingNotifier();
    // Two workers share the fleet, as two machines would.
    const workers = await Promise.all([1, 2].map(() => startWorker(config, { notifier, logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 0 })));
    try {
      const request = await approvedAcrossTargets(pool, config);
      await workers[0]!.reconcile();
      const failed = await waitForRequest(pool, request.id, ["failed", "succeeded"], 60_000);
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(/tenants: wave 3 of 5 halted: 1 of 20 database\(s\) failed/);
      expect(failed.error).toMatch(/Failed: tenants\/tenant07\./);
      expect(failed.error).toMatch(/Not started: \d+ \(.*tenants\/tenant12, .*, \.\.\.\)/);
      const runs = await listTargetRuns(pool, request.id);
      const statusOf = (database: string) => runs.find((run) => run.database === database)!.status;
      expect(statusOf("oltp")).toBe("applied");
      for (const name of names.slice(0, 6)) expect(statusOf(name)).toBe("applied");
      expect(statusOf("tenant07")).toBe("failed");
      for (const name of names.slice(11)) expect(statusOf(name)).toBe("pending");
      for (const [index, name] of names.entries()) expect((await appliedEvents(urls[index]!)).length, name).toBe(statusOf(name) === "applied" ? 3 : 0);
      // One live summary, not a message per database: the request's progress line counts the fleet.
      expect(notifier.events.progress.at(-1)?.message).toMatch(/tenants: wave 3\/5, \d+ done, 1 failed/);
      expect(notifier.events.finished.at(-1)?.outcome).toMatchObject({ status: "failed", willRetry: false });

      await query(urls[6]!, "DROP TABLE leads");
      // As a user would: `rookery resume` with the id as the request message shows it, its first eight characters.
      const resumed = await rookery(["resume", request.id.slice(0, 8), "--config", file], env);
      expect(resumed.stderr).toBe("");
      expect(resumed.stdout).toContain(`request ${request.id} resumed (approved)`);
      expect(resumed.code).toBe(0);
      const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 60_000);
      expect(done.error).toBeNull();
      expect(done.status).toBe("succeeded");
      const after = await listTargetRuns(pool, request.id);
      expect(after.every((run) => run.status === "applied")).toBe(true);
      // Applied before the resume: not run again (one attempt); the rest ran in the resume's round.
      for (const run of after.filter((run) => ["oltp", ...names.slice(0, 6)].includes(run.database))) expect([run.attempts, run.round]).toEqual([1, 0]);
      expect(after.find((run) => run.database === "tenant20")!.round).toBe(1);
      for (const [index, name] of names.entries()) expect(await appliedEvents(urls[index]!), name).toEqual(["20251103_000001", "20251103_000002", "20251103_000003"]);
      expect(await appliedEvents(oltp)).toEqual(["20251101_000001"]);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
  }, 150_000);

  it("a database that failed halfway and is resumed keeps every version the request applied on its row, in both rounds", async () => {
    const names = ["half1", "half2"];
    const urls = await Promise.all(names.map((name) => createTestDatabase(name)));
    // half2 is broken for the second migration only: its first applies, then the wave halts.
    await query(urls[1]!, "CREATE TABLE campaigns (id int)");
    const env = { CONTROL_DATABASE_URL: controlUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: testQueuePrefix("qthalf"), LOG_LEVEL: "silent" };
    const { file, config } = writeConfig(
      { targets: { tenants: { dir: migrationsFolder(TENANT), fleet: { databases: names.map((name, index) => ({ name, databaseUrl: urls[index] })), canary: 1, waveSize: 5 } } }, databaseUrl: urls[0] },
      env,
    );
    const worker = await startWorker(config, { notifier: recordingNotifier(), logger: quietLogger(), concurrency: 2, reconcileEverySeconds: 0 });
    try {
      const request = await approvedAcrossTargets(pool, config);
      await worker.reconcile();
      expect((await waitForRequest(pool, request.id, ["failed", "succeeded"], 60_000)).status).toBe("failed");
      const failed = (await listTargetRuns(pool, request.id)).find((run) => run.database === "half2")!;
      expect([failed.status, failed.applied]).toEqual(["failed", ["20251103_000001"]]);

      await query(urls[1]!, "DROP TABLE campaigns");
      expect((await rookery(["resume", request.id, "--config", file], env)).code).toBe(0);
      expect((await waitForRequest(pool, request.id, ["succeeded", "failed"], 60_000)).status).toBe("succeeded");
      // What a rollback of the request, or its watch, undoes there: all three, not only the resume's two.
      const resumed = (await listTargetRuns(pool, request.id)).find((run) => run.database === "half2")!;
      expect([resumed.status, resumed.applied]).toEqual(["applied", ["20251103_000001", "20251103_000002", "20251103_000003"]]);
    } finally {
      await worker.close();
    }
  }, 150_000);

  it("a worker killed mid-fleet loses nothing: another takes its databases and each is applied exactly once", async () => {
    const names = Array.from({ length: 8 }, (_, index) => `kill${String(index + 1).padStart(2, "0")}`);
    const urls = await Promise.all(names.map((name) => createTestDatabase(name)));
    const prefix = testQueuePrefix("qtkill");
    const dir = migrationsFolder({
      "2025_11_03/001_slow.sql": "SELECT pg_sleep(0.4);\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
      "2025_11_03/002_campaigns.sql": "CREATE TABLE campaigns (id bigint PRIMARY KEY);\n",
    });
    const { file, config } = writeConfig(
      { targets: { tenants: { dir, fleet: { databases: names.map((name, index) => ({ name, databaseUrl: urls[index] })), canary: 0, waveSize: 8, maxParallel: 4 } } }, databaseUrl: urls[0] },
      { CONTROL_DATABASE_URL: controlUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: "silent" },
    );
    const args = ["--config", file, "--concurrency", "2", "--lock-duration", "2000", "--stalled-interval", "1000"];
    // Approved first: a worker dispatches the outbox as it starts.
    const request = await approvedAcrossTargets(pool, config);
    const [doomed, survivor] = await Promise.all([spawnWorker(config, args), spawnWorker(config, args)]);
    // Both workers busy (2 databases each at most): the one killed holds databases mid-apply.
    await waitUntil(async () => (await listTargetRuns(pool, request.id)).filter((run) => run.status === "running").length >= 3, "both workers to run databases", 30_000);
    doomed!.child.kill("SIGKILL");
    await doomed!.exited;
    const done = await waitForRequest(pool, request.id, ["succeeded", "failed"], 90_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("succeeded");
    for (const [index, name] of names.entries()) expect(await appliedEvents(urls[index]!), name).toEqual(["20251103_000001", "20251103_000002"]);
    // The killed worker's databases were taken again by the survivor (a second attempt), not lost.
    const runs = await listTargetRuns(pool, request.id);
    expect(runs.some((run) => run.attempts >= 2)).toBe(true);
    // And each row says what the request applied there, also where the killed attempt's commit went through
    // (Postgres finishes a query whose client died): the request's rollback and watch undo what the rows say.
    for (const run of runs) expect([run.database, run.status, run.applied]).toEqual([run.database, "applied", ["20251103_000001", "20251103_000002"]]);
    expect(survivor!.child.exitCode).toBeNull();
  }, 150_000);

  it("a fleet's databases run the files its request pinned, even when the folder changes mid-fleet; the next request reads the folder again", async () => {
    const names = ["pin1", "pin2", "pin3", "pin4"];
    const urls = await Promise.all(names.map((name) => createTestDatabase(name)));
    const prefix = testQueuePrefix("qtpins");
    const dir = migrationsFolder({
      "2025_11_03/001_slow.sql": "SELECT pg_sleep(1);\nCREATE TABLE leads (id bigint PRIMARY KEY);\n",
      "2025_11_03/002_email.sql": "ALTER TABLE leads ADD COLUMN email text;\n",
    });
    const { config } = writeConfig(
      { targets: { tenants: { dir, fleet: { databases: names.map((name, index) => ({ name, databaseUrl: urls[index] })), canary: 1, waveSize: 3, maxParallel: 3 } } }, databaseUrl: urls[0] },
      { CONTROL_DATABASE_URL: controlUrl, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: "silent" },
    );
    const worker = await startWorker(config, { notifier: recordingNotifier(), logger: quietLogger(), concurrency: 3, reconcileEverySeconds: 0 });
    try {
      const first = await approvedAcrossTargets(pool, config);
      const pinned = first.checksums;
      await worker.reconcile();
      // The canary is applying (its files read): someone edits an approved file on the worker's disk.
      await waitUntil(async () => (await query<{ n: number }>(urls[0]!, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(1)%' AND pid <> pg_backend_pid()"))[0]!.n > 0, "the canary to apply", 30_000);
      writeMigration(dir, "2025_11_03/002_email.sql", "ALTER TABLE leads ADD COLUMN email varchar(10);\n");
      const done = await waitForRequest(pool, first.id, ["succeeded", "failed"], 60_000);
      expect(done.error).toBeNull();
      expect(done.status).toBe("succeeded");
      for (const [index, name] of names.entries()) {
        // What was approved ran everywhere: its checksum in the ledger, its column type in the table.
        const rows = await query<{ version: string; checksum: string }>(urls[index]!, "SELECT version, checksum FROM schema_migrations ORDER BY version");
        expect(rows.map((row) => row.checksum), name).toEqual(rows.map((row) => Object.entries(pinned).find(([key]) => key.endsWith(row.version))![1]));
        const type = await query<{ type: string }>(urls[index]!, "SELECT data_type AS type FROM information_schema.columns WHERE table_name = 'leads' AND column_name = 'email'");
        expect(type[0]!.type, name).toBe("text");
      }

      // A new request pins the folder as it is now: its new file runs, read from the folder again.
      writeMigration(dir, "2025_11_03/003_name.sql", "ALTER TABLE leads ADD COLUMN name text;\n");
      const second = await approvedAcrossTargets(pool, config);
      await worker.reconcile();
      const again = await waitForRequest(pool, second.id, ["succeeded", "failed"], 60_000);
      expect(again.error).toBeNull();
      for (const [index, name] of names.entries()) expect(await appliedEvents(urls[index]!), name).toEqual(["20251103_000001", "20251103_000002", "20251103_000003"]);
    } finally {
      await worker.close();
    }
  }, 120_000);
});
