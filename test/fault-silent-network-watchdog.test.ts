import { describe, expect, it } from "vitest";
import { rookery, migrationsFolder } from "./support/cli.ts";
import { configFile } from "./support/config-file.ts";
import { ledgerRows } from "./support/engine.ts";
import { startFaultProxyFor } from "./support/fault-proxy.ts";
import { waitUntil } from "./support/queue.ts";
import { createTestDatabase, query } from "./support/services.ts";

/**
 * A concurrent index build has no statement timeout, so no deadline: a liveness watchdog asks the
 * server on a side connection whether it still runs. Short settings: checked every 0.5 s, 1 s grace.
 */
const settings = { statementTimeout: "1500ms", queryDeadlineGrace: "1s", queryLivenessInterval: "500ms", advisoryLockWait: "20s" };
const BUILD = "CREATE INDEX CONCURRENTLY IF NOT EXISTS widgets_slow_key ON widgets (slow_key(id));\n";
const dir = migrationsFolder({ "2025_11_01/001_index_widgets.sql": BUILD });

/** A table whose index takes `rows` x 0.1 s to build: slow_key sleeps (an IMMUTABLE lie the build believes). */
async function slowTable(label: string, rows: number): Promise<string> {
  const url = await createTestDatabase(label);
  await query(
    url,
    `CREATE FUNCTION slow_key(n int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN n; END $$;
     CREATE TABLE widgets AS SELECT g AS id FROM generate_series(1, ${rows}) AS g;`,
  );
  return url;
}

const buildRunning = (url: string) => async () =>
  (await query(url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND state = 'active'")).length > 0;

const appliedVersions = async (url: string) => (await ledgerRows(url)).filter((row) => row.status === "applied").map((row) => row.version);

describe("the network goes silent during a statement with no timeout of its own (CREATE INDEX CONCURRENTLY)", () => {
  it("fails the run as transient within the watchdog interval plus the grace, naming the silent connection, with nothing recorded", async () => {
    const url = await slowTable("watchdog-drop", 60);
    const proxy = await startFaultProxyFor(url);
    const run = rookery(["apply", "--all", "--dir", dir, "--config", configFile({ production: { databaseUrl: proxy.urlFor(url), ...settings } })], {});
    await waitUntil(buildRunning(url), "the index build to start", 15_000);
    const dropped = Date.now();
    proxy.drop();
    const result = await run;
    const detectedMs = Date.now() - dropped;
    console.log(`watchdog, drop everything: the run failed ${detectedMs} ms after the drop (interval 500 ms + grace 1000 ms)`);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no answer from 127.0.0.1:${proxy.port}/`);
    expect(result.stderr).toContain("a liveness check on a separate connection got no answer within queryDeadlineGrace 1 s");
    // Nothing reaches the server: the build's session is left to end by itself, and the message says how to end it.
    expect(result.stderr).toMatch(/the server session that ran it \(pid (\d+)\) could not be reached to end it, and may hold the migration lock until it ends: once the server answers, end it with SELECT pg_terminate_backend\(\1\)/);
    expect(result.stderr).toContain("It is worth retrying as it is.");
    // 0.5 s + 1 s, with margin for a loaded machine and the CLI's exit; the build alone runs 6 s, and without the watchdog the run never ends.
    expect(detectedMs).toBeLessThan(4_500);
    expect(await appliedVersions(url)).toEqual([]);
  });

  it("when only the run's own connection goes silent, waits out the build, then fails once its answer is lost and ends the session, freeing the lock", async () => {
    const url = await slowTable("watchdog-lost", 30);
    const proxy = await startFaultProxyFor(url);
    const run = rookery(["apply", "--all", "--dir", dir, "--config", configFile({ production: { databaseUrl: proxy.urlFor(url), ...settings } })], {});
    await waitUntil(buildRunning(url), "the index build to start", 15_000);
    proxy.dropOpen();
    await waitUntil(async () => !(await buildRunning(url)()), "the index build to finish", 15_000);
    const finished = Date.now();
    const result = await run;
    const detectedMs = Date.now() - finished;
    console.log(`watchdog, answer lost: the run failed ${detectedMs} ms after the build finished (interval 500 ms + grace 1000 ms)`);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("but the answer never arrived within queryDeadlineGrace 1 s");
    expect(detectedMs).toBeLessThan(4_000);
    // The build was not cut off: the index is complete; the ledger does not claim it.
    expect(await query(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'widgets_slow_key'::regclass")).toEqual([{ indisvalid: true }]);
    expect(await appliedVersions(url)).toEqual([]);
    // The abandoned session was terminated, so the next runner gets the lock at once and records the build once.
    expect(await query(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rookery'")).toEqual([]);
    const next = await rookery(["apply", "--all", "--dir", dir, "--config", configFile({ production: { databaseUrl: url, ...settings } })], {});
    expect(next.code).toBe(0);
    expect(await appliedVersions(url)).toEqual(["20251101_000001"]);
  });

  it("under statementTimeout 0, a session abandoned for silence is terminated once a new connection reaches the server, and the next runner takes the lock", async () => {
    const url = await createTestDatabase("watchdog-abandoned");
    await query(url, "CREATE TABLE sleep_switch (sleeping boolean); INSERT INTO sleep_switch VALUES (true);");
    const sleeper = migrationsFolder({ "2025_11_01/001_sleep_then_create.sql": "SELECT pg_sleep(30) FROM sleep_switch WHERE sleeping;\nCREATE TABLE gadgets (id int);\n" });
    const proxy = await startFaultProxyFor(url);
    const noTimeout = { ...settings, statementTimeout: 0 };
    const run = rookery(["apply", "--all", "--dir", sleeper, "--config", configFile({ production: { databaseUrl: proxy.urlFor(url), ...noTimeout } })], {});
    const sleeping = async () =>
      (await query(url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rookery' AND state = 'active' AND query LIKE '%pg_sleep(30)%'")).length > 0;
    await waitUntil(sleeping, "the statement to run", 15_000);
    // Every byte is dropped (TCP stays up), until the watchdog's check has connected and hangs; then the
    // network comes back for new connections only, as a load balancer that lost its open flows.
    const before = proxy.connections();
    proxy.drop();
    await waitUntil(async () => proxy.connections() > before, "the watchdog's check to connect", 5_000);
    proxy.dropOpen();
    proxy.resume();
    const result = await run;

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("a liveness check on a separate connection got no answer within queryDeadlineGrace 1 s");
    expect(result.stderr).toMatch(/the server session that ran it \(pid \d+\) was reached from a new connection and terminated, so the migration lock is free/);
    expect(result.stderr).toContain("It is worth retrying as it is.");
    await waitUntil(async () => !(await sleeping()), "the abandoned session to end", 5_000);
    expect(await appliedVersions(url)).toEqual([]);
    // Without the termination the sleep holds the lock for 30 s: the next runner would give up after 2 s.
    await query(url, "UPDATE sleep_switch SET sleeping = false");
    const next = await rookery(["apply", "--all", "--dir", sleeper, "--config", configFile({ production: { databaseUrl: url, ...noTimeout, advisoryLockWait: "2s" } })], {});
    expect(next.code, next.stderr).toBe(0);
    expect(await appliedVersions(url)).toEqual(["20251101_000001"]);
  });

  it("a long statement on a healthy network is not cut off: a 2.5 s build and, under statementTimeout 0, a 2.5 s sleep", async () => {
    const url = await slowTable("watchdog-healthy", 25);
    const proxy = await startFaultProxyFor(url);
    const both = migrationsFolder({
      "2025_11_01/001_slow_sleep.sql": "SELECT pg_sleep(2.5);\nCREATE TABLE gadgets (id int);\n",
      "2025_11_01/002_index_widgets.sql": BUILD,
    });
    const started = Date.now();
    const config = configFile({ production: { databaseUrl: proxy.urlFor(url), ...settings, statementTimeout: 0 } });
    const result = await rookery(["apply", "--all", "--dir", both, "--config", config], {});
    const tookMs = Date.now() - started;

    expect(result.stderr).not.toContain("no answer");
    expect(result.code).toBe(0);
    // Each statement ran longer than interval + grace (1.5 s), watched by several checks.
    expect(tookMs).toBeGreaterThan(5_000);
    expect(await appliedVersions(url)).toEqual(["20251101_000001", "20251101_000002"]);
  });
});
