import pg from "pg";
import { ensureLedger } from "../../src/ledger/index.ts";
import { snapshotSchema, type SchemaSnapshot } from "../../src/runner/schema-snapshot.ts";
import { describe, expect, it } from "vitest";
import { completeExpansion } from "../../src/expand/index.ts";
import { applyMigrations, rollbackMigration } from "../../src/runner/index.ts";
import { compareSnapshots } from "../../src/runner/schema-snapshot.ts";
import { migrationsFolder } from "./cli.ts";
import { runContext, testEnvironment } from "./engine.ts";
import { createTestDatabase, query } from "./services.ts";

/** Rows an expansion's backfill of `table` has recorded as done (0 before its first batch, or with no ledger yet). */
export async function backfilledRows(url: string, version: string, table: string): Promise<number> {
  const rows = await query<{ rows: number }>(url, "SELECT COALESCE((backfill->$2->>'rows')::int, 0) AS rows FROM rookery_expansions WHERE version = $1", [version, table]).catch(() => []);
  return rows[0]?.rows ?? 0;
}

/** Runs SQL as the new release would: with the version's schema first on its search_path. */
export async function queryAs<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, searchPath: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${searchPath}` });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The schema as `prove` compares it (the ledger, the engine's own, is created first, as `prove` does). */
export async function schemaOf(url: string): Promise<SchemaSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await ensureLedger(client, "public");
    return await snapshotSchema(client);
  } finally {
    await client.end();
  }
}


export const STORY_VERSION = "20251201_000001";

/** Run SQL against the database with the old shape (the tables) or the new (the version's views first). */
export interface Shapes {
  old: <T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;
  new: <T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;
}

export interface ExpandContractStory {
  /** The tables and rows before. */
  setup: string;
  /** The expand-contract file's SQL, header included. */
  migration: string;
  /** While expanded: what each shape shows, and writes through each seen through the other. */
  whileExpanded: (shapes: Shapes) => Promise<void>;
  /** After abort: the rows written while expanded are still there (old shape). */
  afterAbort: (shapes: Shapes) => Promise<void>;
  /** After complete: the tables' new shape, and the new version's schema still working. */
  afterComplete: (shapes: Shapes) => Promise<void>;
}

/**
 * The life of one expand-contract migration, as a user lives it: expand, both shapes in use,
 * abort (the schema exactly as before, rows kept), expand again, complete.
 */
export function expandContractStory(title: string, story: ExpandContractStory): void {
  describe(title, async () => {
    const url = await createTestDatabase("expand");
    await query(url, story.setup);
    const dir = migrationsFolder({ "2025_12_01/001_change.sql": story.migration });
    const environment = testEnvironment(url, { backfillBatchSize: 100 });
    const before = await schemaOf(url);
    const shapes: Shapes = {
      old: (sql, params) => query(url, sql, params),
      new: (sql, params) => queryAs(url, `rookery_${STORY_VERSION},public`, sql, params),
    };

    it("expands without changing what the old shape sees, and both shapes read each other's writes", async () => {
      const report = await applyMigrations(runContext(environment, dir), { versions: [STORY_VERSION] });
      expect(report.failed).toBeUndefined();
      await story.whileExpanded(shapes);
    });

    it("aborts back to exactly the old schema (as prove compares it), with the rows kept", async () => {
      await rollbackMigration(runContext(environment, dir), { version: STORY_VERSION, reason: "abort for the test" });
      expect(compareSnapshots(before, await schemaOf(url), "after abort")).toEqual([]);
      await story.afterAbort(shapes);
    });

    it("expands again and completes into the new shape, the version's schema still working", async () => {
      const again = await applyMigrations(runContext(environment, dir), { versions: [STORY_VERSION] });
      expect(again.failed).toBeUndefined();
      await completeExpansion(runContext(environment, dir), { version: STORY_VERSION });
      expect(await query(url, "SELECT count(*)::int AS n FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%rookery_sync_%'")).toEqual([{ n: 0 }]);
      await story.afterComplete(shapes);
    });
  });
}
