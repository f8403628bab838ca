import pg from "pg";
import { describe, expect, it } from "vitest";
import { AdvisoryLockTimeoutError, applyMigrations, MIGRATION_LOCK_KEY } from "../src/runner/index.ts";
import { migrationsFolder } from "./support/cli.ts";
import { runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

const files: Record<string, string> = {
  // The first one is slow, so the second runner is still waiting for the lock when it would start.
  "2025_11_01/001_slow.sql": "SELECT pg_sleep(0.5);\nCREATE TABLE t1 (id int);\n",
};
for (let n = 2; n <= 8; n++) files[`2025_11_01/00${n}_t${n}.sql`] = `CREATE TABLE t${n} (id int);\n`;

describe("two runners started at once on a fresh database", async () => {
  const url = await createTestDatabase("engine-concurrent");
  const dir = migrationsFolder(files);
  const environment = testEnvironment(url);

  it("applies each migration exactly once: one runner does the work, the other finds nothing left", async () => {
    const first = runContext(environment, dir, "cli:first");
    const second = runContext(environment, dir, "cli:second");
    const reports = await Promise.all([applyMigrations(first), applyMigrations(second)]);
    const applied = reports.flatMap((report) => report.applied.map((step) => step.version));
    expect(applied.sort()).toEqual(Object.keys(files).map((_, index) => `20251101_00000${index + 1}`));
    expect(reports.every((report) => report.failed === undefined)).toBe(true);
    const events = await query<{ version: string; count: string }>(url, "SELECT version, count(*) FROM migration_events WHERE event = 'applied' GROUP BY version ORDER BY version");
    expect(events).toHaveLength(8);
    expect(events.every((row) => row.count === "1")).toBe(true);
    const waited = [...first.progress, ...second.progress].filter((event) => event.step === "lock" && event.message.startsWith("waiting"));
    expect(waited).toHaveLength(1);
  });
});

describe("a runner that cannot get the lock in time", async () => {
  const url = await createTestDatabase("engine-lockwait");
  const dir = migrationsFolder({ "2025_11_01/001_a.sql": "CREATE TABLE a (id int);\n" });

  it("gives up after advisoryLockWait, naming who holds the lock, and applies nothing", async () => {
    const holder = new pg.Client({ connectionString: url, application_name: "dba-terminal" });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
      const { rows } = await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const error = await applyMigrations(runContext(testEnvironment(url, { advisoryLockWait: 300 }), dir)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AdvisoryLockTimeoutError);
      expect((error as Error).message).toContain(`pid ${rows[0]?.pid}`);
      expect((error as Error).message).toContain('application "dba-terminal"');
      expect(await query(url, "SELECT 1 FROM schema_migrations")).toEqual([]);
    } finally {
      await holder.end();
    }
  });

  it("carries on once the holder lets go within the wait", async () => {
    const holder = new pg.Client({ connectionString: url, application_name: "dba-terminal" });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    const ctx = runContext(testEnvironment(url, { advisoryLockWait: 30_000 }), dir);
    ctx.onProgress = async (event) => {
      ctx.progress.push(event);
      if (event.message.startsWith("waiting")) await holder.end();
    };
    const report = await applyMigrations(ctx);
    expect(report.applied.map((step) => step.version)).toEqual(["20251101_000001"]);
  });
});
