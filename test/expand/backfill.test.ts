import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { applyMigrations } from "../../src/runner/index.ts";
import { migrationsFolder } from "../support/cli.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { createTestDatabase, query } from "../support/services.ts";

const VERSION = "20251201_000001";
const MIGRATION = { "2025_12_01/001_n_bigint.sql": "-- rookery:expand-contract\nALTER TABLE events ALTER COLUMN n TYPE bigint;\n" };

/**
 * Keys dense (negative ones too), then a sparse stretch, then dense again: the backfill moves between
 * counted batches and key ranges (src/expand/backfill.ts) and must rewrite every row once.
 */
const ROWS_SQL = `CREATE TABLE events (id bigint PRIMARY KEY, n integer NOT NULL);
  INSERT INTO events SELECT g, g FROM generate_series(-300, 2000) g;
  INSERT INTO events SELECT g, g FROM generate_series(100000, 160000, 997) g;
  INSERT INTO events SELECT g, g FROM generate_series(500001, 503000) g`;

describe("the backfill's batches over dense and sparse keys", async () => {
  it("rewrites every row once and counts exactly the rows it rewrote", async () => {
    const url = await createTestDatabase("exp-backfill");
    await query(url, ROWS_SQL);
    const report = await applyMigrations(runContext(testEnvironment(url, { backfillBatchSize: 100 }), migrationsFolder(MIGRATION)), { versions: [VERSION] });
    expect(report.failed).toBeUndefined();
    const [{ total }] = (await query<{ total: number }>(url, "SELECT count(*)::int AS total FROM events")) as [{ total: number }];
    const [row] = await query(url, "SELECT state, (backfill->'public.events'->>'rows')::int AS rows, (backfill->'public.events'->>'done')::boolean AS done FROM rookery_expansions WHERE version = $1", [VERSION]);
    expect(row).toEqual({ state: "expanded", rows: total, done: true });
    expect((await query(url, "SELECT count(*)::int AS n FROM events WHERE _rookery_n IS DISTINCT FROM n"))[0]?.n).toBe(0);
  });

  it("never overwrites what the application writes meanwhile, and leaves no row behind", async () => {
    const url = await createTestDatabase("exp-backfill-race");
    await query(url, ROWS_SQL);
    const ids = (await query<{ id: string }>(url, "SELECT id FROM events ORDER BY id")).map((row) => Number(row.id));
    // Two application sessions on the old shape: updates of n across the whole table, inserts into the gaps and past the end.
    const written = new Map<number, number>();
    let running = true;
    let value = 10_000_000;
    const writers = [0, 1].map(async (index) => {
      const client = new pg.Client({ connectionString: url });
      client.on("error", () => {});
      await client.connect();
      onTestFinished(() => client.end().catch(() => {}));
      for (let i = 0; running; i++) {
        const v = ++value;
        if (index === 1 && i % 5 === 0) {
          const id = i % 10 === 0 ? 600_000 + i : 100_001 + i * 7;
          const { rowCount } = await client.query("INSERT INTO events (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n", [id, v]);
          if (rowCount === 1) written.set(id, v);
        } else {
          const id = ids[(i * 7919 + index * 104729) % ids.length]!;
          await client.query("UPDATE events SET n = $2 WHERE id = $1", [id, v]);
          written.set(id, v);
        }
      }
    });
    const report = await applyMigrations(runContext(testEnvironment(url, { backfillBatchSize: 100 }), migrationsFolder(MIGRATION)), { versions: [VERSION] });
    running = false;
    await Promise.all(writers);
    expect(report.failed).toBeUndefined();
    expect(written.size).toBeGreaterThan(50);
    // Every row converted from its latest value: none left NULL, none holding a value from before a write.
    expect((await query(url, "SELECT count(*)::int AS n FROM events WHERE _rookery_n IS DISTINCT FROM n"))[0]?.n).toBe(0);
    const rows = await query<{ id: string; n: number; shadow: string }>(url, "SELECT id, n, _rookery_n AS shadow FROM events WHERE id = ANY ($1::bigint[])", [[...written.keys()]]);
    expect(rows.filter((row) => row.n !== written.get(Number(row.id)) || Number(row.shadow) !== written.get(Number(row.id)))).toEqual([]);
    expect(rows).toHaveLength(written.size);
  });
});
