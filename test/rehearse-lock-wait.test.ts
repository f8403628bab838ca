import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { readCatalog, type Catalog } from "../src/catalog/index.ts";
import { EnvironmentSchema, type Environment } from "../src/config/index.ts";
import { applyMigrations } from "../src/runner/index.ts";
import { rehearsalLines, rehearse } from "../src/runner/rehearse.ts";
import { migrationsFolder } from "./support/cli.ts";
import { createTestDatabase, query } from "./support/services.ts";

const BASE = "20251101_000001";
const ADD_NOTE = "20251101_000002";

let url: string;
let catalog: Catalog;
let staging: Environment;

beforeAll(async () => {
  url = await createTestDatabase("rehearse");
  const dir = migrationsFolder({
    "2025_11_01/001_create_accounts.sql":
      "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\nINSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 100) g;\n",
    "2025_11_01/rollback_001_create_accounts.sql": "DROP TABLE IF EXISTS accounts;\n",
    "2025_11_01/002_add_account_note.sql": "ALTER TABLE accounts ADD COLUMN note text;\n",
    "2025_11_01/rollback_002_add_account_note.sql": "ALTER TABLE accounts DROP COLUMN IF EXISTS note;\n",
  });
  catalog = readCatalog(dir);
  // A short lock wait with enough retries to outlast the blocker below.
  staging = { ...EnvironmentSchema.parse({ databaseUrl: url, lockTimeout: 300, lockRetries: 8 }), name: "staging" };
  await applyMigrations({ environment: staging, catalog, actor: "test" }, { versions: [BASE] });
});

describe("rehearsal under load", () => {
  it("shows the lock wait of a migration stuck behind an open transaction, baseline beside during, then rolls back", async () => {
    // Another session reads the table in a transaction it keeps open: the ALTER queues behind it,
    // and the probes queue behind the ALTER until lock_timeout ends each attempt.
    const blocker = new pg.Client({ connectionString: url, application_name: "test-blocker" });
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("SELECT count(*) FROM accounts");
    let released: Promise<unknown> | undefined;

    const report = await rehearse(staging, catalog, ADD_NOTE, {
      clients: 3,
      baselineSeconds: 1,
      actor: "test:rehearsal",
      onProgress: (event) => {
        if (event.message.includes("applying") && event.message.includes("under load") && !released) {
          released = new Promise((resolve) => setTimeout(resolve, 1200)).then(() => blocker.query("COMMIT"));
        }
      },
    });
    await released;
    await blocker.end();

    expect(report.probeSource).toBe('tables the migration touches: "accounts"');
    expect(report.probes).toHaveLength(2);
    expect(report.baseline.queries).toBeGreaterThan(0);
    expect(report.during.queries).toBeGreaterThan(0);
    expect(report.baseline.errors).toBe(0);
    expect(report.during.errors).toBe(0);

    // The lock wait: retried at least once, probes waited about a lock_timeout, pg_locks saw them wait behind the ALTER.
    expect(report.apply).toMatchObject({ ok: true });
    expect(report.apply.lockRetries).toBeGreaterThanOrEqual(1);
    expect(report.during.maxMs).toBeGreaterThanOrEqual(200);
    expect(report.during.slowQueries).toBeGreaterThan(0);
    expect(report.during.maxMs).toBeGreaterThan(report.baseline.maxMs);
    expect(report.impact.maxPercent).toBeGreaterThan(0);
    expect(report.locks.samplesWithProbesWaiting).toBeGreaterThan(0);
    // The migration is named at the head of its query, ahead of the session reset that opens it.
    expect(report.locks.blockers.some((blocker) => blocker.query.startsWith(`/* rookery apply ${ADD_NOTE} */`))).toBe(true);
    expect(report.locks.blockers.some((blocker) => blocker.applicationName === "test-blocker")).toBe(true);

    // Undone: the column is gone and the ledger says rolled back, with the rehearsal's reason.
    expect(report.rolledBack).toBe(true);
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'")).toEqual([]);
    expect(await query(url, "SELECT status FROM schema_migrations WHERE version = $1", [ADD_NOTE])).toEqual([{ status: "rolled_back" }]);
    // The probes' writes were rolled back: the data is as it was.
    expect(await query(url, "SELECT count(*)::int AS n FROM accounts")).toEqual([{ n: 100 }]);

    const lines = rehearsalLines(report).join("\n");
    expect(lines).toMatch(/max \(ms\)\s+\S+\s+\S+\s+\+\d+%/);
    expect(lines).toContain("rolled back: yes");
  });

  it("refuses production, and an environment that requires staging, before touching anything", async () => {
    const production = { ...staging, name: "production" };
    await expect(rehearse(production, catalog, ADD_NOTE, { actor: "test" })).rejects.toThrow("rehearsal is refused on production");
    const guarded = { ...staging, name: "live", requireStaging: "staging" };
    await expect(rehearse(guarded, catalog, ADD_NOTE, { actor: "test" })).rejects.toThrow(/refused on live: it requires staging first/);
    expect(await query(url, "SELECT status FROM schema_migrations WHERE version = $1", [ADD_NOTE])).toEqual([{ status: "rolled_back" }]);
  });

  it("refuses a version that is already applied", async () => {
    await expect(rehearse(staging, catalog, BASE, { actor: "test" })).rejects.toThrow(`${BASE} is already applied on staging`);
  });
});
