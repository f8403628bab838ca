import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { applyMigrations, rollbackMigration } from "../src/runner/index.ts";
import { migrationsFolder, rookery } from "./support/cli.ts";
import { eventsOf, ledgerRows, runContext, testEnvironment } from "./support/engine.ts";
import { createTestDatabase, query } from "./support/services.ts";

/**
 * An actor a Slack display name or ROOKERY_ACTOR could hold: quotes, backslashes, spaces, a newline,
 * a tab, comments, dollar quotes and an attempt to end a literal and drop a table. `zebra17` marks
 * it in SQL text; its tail goes past applied_by's 100 characters.
 */
const HOSTILE_ACTOR = `slack:U1 zebra17 'it''s' "dq" b\\s \\'  two\nline\ttab -- $$ $x$ '); DROP TABLE canary; -- ${"tail ".repeat(12)}`;
const KEPT_ACTOR = Array.from(HOSTILE_ACTOR).slice(0, 100).join("");

/**
 * Every query text the environment's runner sessions (application_name rookery) show in
 * pg_stat_activity while `work` runs, read from a side connection every few milliseconds.
 */
async function queriesSeenDuring<T>(url: string, work: () => Promise<T>): Promise<{ result: T; seen: string[] }> {
  const side = new pg.Client({ connectionString: url });
  side.on("error", () => {});
  await side.connect();
  onTestFinished(() => side.end().catch(() => {}));
  const seen = new Set<string>();
  let done = false;
  const watching = (async () => {
    while (!done) {
      const { rows } = await side.query<{ query: string }>(
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rookery' AND pid <> pg_backend_pid()",
      );
      for (const row of rows) seen.add(row.query);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    return { result: await work(), seen: [...seen] };
  } finally {
    done = true;
    await watching;
  }
}

describe("the actor reaches the ledger whole, and never as SQL text", async () => {
  const url = await createTestDatabase("engine-actor");
  await query(url, "CREATE TABLE canary (id int)");
  // Each file sleeps, so its query is caught running in pg_stat_activity.
  const dir = migrationsFolder({
    "2025_12_01/001_create_pets.sql": "CREATE TABLE pets (id bigint PRIMARY KEY);\nSELECT pg_sleep(0.4);\n",
    "2025_12_01/rollback_001_create_pets.sql": "DROP TABLE pets;\nSELECT pg_sleep(0.4);\n",
    "2025_12_01/002_add_name.sql": "ALTER TABLE pets ADD COLUMN name text;\n",
    "2025_12_01/rollback_002_add_name.sql": "ALTER TABLE pets DROP COLUMN name;\n",
  });
  const environment = testEnvironment(url);

  it("applies with the actor recorded exactly (cut to 100 characters), its text in no query the server ran", async () => {
    const { result: report, seen } = await queriesSeenDuring(url, () => applyMigrations(runContext(environment, dir, HOSTILE_ACTOR)));
    expect(report.failed).toBeUndefined();
    expect((await ledgerRows(url)).map((row) => [row.version, row.status, row.applied_by])).toEqual([
      ["20251201_000001", "applied", KEPT_ACTOR],
      ["20251201_000002", "applied", KEPT_ACTOR],
    ]);
    expect((await eventsOf(url, "20251201_000001")).map((event) => [event.event, event.actor])).toEqual([["applied", KEPT_ACTOR]]);
    expect((await query(url, "SELECT applied_by FROM schema_version"))[0]?.applied_by).toBe(KEPT_ACTOR);
    // The migration's own query was caught, and it does not carry the actor.
    expect(seen.some((text) => text.includes("pg_sleep(0.4)") && text.includes("CREATE TABLE pets"))).toBe(true);
    expect(seen.filter((text) => text.includes("zebra17"))).toEqual([]);
    expect(await query(url, "SELECT count(*)::int AS n FROM canary")).toEqual([{ n: 0 }]);
  });

  it("rolls back with the actor recorded exactly, its text in no query, nothing else dropped", async () => {
    const ctx = runContext(environment, dir, HOSTILE_ACTOR);
    await rollbackMigration(ctx, { version: "20251201_000002", reason: "not needed" });
    const { seen } = await queriesSeenDuring(url, () => rollbackMigration(ctx, { version: "20251201_000001", reason: "not needed" }));
    expect(seen.some((text) => text.includes("pg_sleep(0.4)") && text.includes("DROP TABLE pets"))).toBe(true);
    expect(seen.filter((text) => text.includes("zebra17"))).toEqual([]);
    expect((await ledgerRows(url)).map((row) => [row.status, row.applied_by])).toEqual([
      ["rolled_back", KEPT_ACTOR],
      ["rolled_back", KEPT_ACTOR],
    ]);
    expect((await eventsOf(url, "20251201_000001")).map((event) => [event.event, event.actor])).toEqual([
      ["applied", KEPT_ACTOR],
      ["rolled_back", KEPT_ACTOR],
    ]);
    const tables = await query<{ name: string }>(url, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('canary', 'pets')");
    expect(tables).toEqual([{ name: "canary" }]);
  });

  it("keeps the database's own startup options next to the actor's", async () => {
    const folder = migrationsFolder({ "2025_12_02/001_where_am_i.sql": "CREATE TABLE seen_settings AS SELECT current_setting('search_path') AS search_path;\n" });
    await query(url, "CREATE SCHEMA IF NOT EXISTS app");
    const withOptions = testEnvironment(`${url}?options=${encodeURIComponent("-c search_path=app,public")}`);
    const report = await applyMigrations(runContext(withOptions, folder, HOSTILE_ACTOR));
    expect(report.failed).toBeUndefined();
    expect(await query(url, "SELECT search_path FROM app.seen_settings")).toEqual([{ search_path: "app,public" }]);
    expect((await query(url, "SELECT applied_by FROM schema_migrations WHERE version = '20251202_000001'"))[0]?.applied_by).toBe(KEPT_ACTOR);
  });
});

describe("the CLI's ROOKERY_ACTOR reaches the ledger whole", async () => {
  const url = await createTestDatabase("cli-actor");
  await query(url, "CREATE TABLE canary (id int)");
  const dir = migrationsFolder({
    "2025_12_01/001_create_pets.sql": "CREATE TABLE pets (id bigint PRIMARY KEY);\n",
    "2025_12_01/rollback_001_create_pets.sql": "DROP TABLE pets;\n",
  });
  const env = { DATABASE_URL: url, MIGRATIONS_DIR: dir, ROOKERY_ACTOR: HOSTILE_ACTOR };

  it("rookery apply and rookery rollback record it, cut to 100 characters, and drop nothing else", async () => {
    const applied = await rookery(["apply", "--all"], env);
    expect(applied.code, applied.stderr).toBe(0);
    const rolledBack = await rookery(["rollback", "20251201_000001", "--reason", "undo"], env);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect((await eventsOf(url, "20251201_000001")).map((event) => [event.event, event.actor])).toEqual([
      ["applied", KEPT_ACTOR],
      ["rolled_back", KEPT_ACTOR],
    ]);
    expect((await ledgerRows(url)).map((row) => row.applied_by)).toEqual([KEPT_ACTOR]);
    expect(await query(url, "SELECT to_regclass('public.canary') IS NOT NULL AS kept, to_regclass('public.pets') IS NULL AS dropped")).toEqual([{ kept: true, dropped: true }]);
  });
});
