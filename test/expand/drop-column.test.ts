import { describe, expect, it } from "vitest";
import { completeExpansion } from "../../src/expand/index.ts";
import { applyMigrations } from "../../src/runner/index.ts";
import { migrationsFolder } from "../support/cli.ts";
import { runContext, testEnvironment } from "../support/engine.ts";
import { expandContractStory } from "../support/expand.ts";
import { createTestDatabase, query } from "../support/services.ts";

expandContractStory("DROP COLUMN under expand-contract: hidden at expand, dropped at complete", {
  setup: "CREATE TABLE posts (id bigint PRIMARY KEY, title text, legacy_code text NOT NULL); INSERT INTO posts SELECT g, 't' || g, 'L' FROM generate_series(1, 20) g",
  migration: "-- rookery:expand-contract\n-- rookery:down legacy_code = 'none'\nALTER TABLE posts DROP COLUMN legacy_code;\n",
  async whileExpanded(shapes) {
    expect(Object.keys((await shapes.new("SELECT * FROM posts WHERE id = 1"))[0]!)).toEqual(["id", "title"]);
    await expect(shapes.new("SELECT legacy_code FROM posts")).rejects.toThrow(/does not exist/);
    // The new release inserts without the column; the old shape gets the down expression.
    await shapes.new("INSERT INTO posts (id, title) VALUES (1001, 'new')");
    await shapes.old("INSERT INTO posts VALUES (1002, 'old', 'L2')");
    expect(await shapes.old("SELECT legacy_code FROM posts WHERE id = 1001")).toEqual([{ legacy_code: "none" }]);
    expect(await shapes.new("SELECT title FROM posts WHERE id = 1002")).toEqual([{ title: "old" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT legacy_code FROM posts WHERE id = 1001")).toEqual([{ legacy_code: "none" }]);
  },
  async afterComplete(shapes) {
    await expect(shapes.old("SELECT legacy_code FROM posts")).rejects.toThrow(/does not exist/);
    expect(await shapes.new("SELECT count(*)::int AS n FROM posts")).toEqual([{ n: 22 }]);
  },
});

describe("DROP COLUMN of a column a view still uses when complete runs", async () => {
  const url = await createTestDatabase("exp-drop-view");
  await query(url, "CREATE TABLE posts (id bigint PRIMARY KEY, title text, legacy_code text); CREATE VIEW post_codes AS SELECT id, legacy_code FROM posts");
  const dir = migrationsFolder({ "2025_12_01/001_drop.sql": "-- rookery:expand-contract\nALTER TABLE posts DROP COLUMN legacy_code;\n" });
  const environment = testEnvironment(url);

  it("refuses the contract naming the view and the way, not Postgres's CASCADE; nothing of it applied; completes once the view is changed", async () => {
    expect((await applyMigrations(runContext(environment, dir), { versions: ["20251201_000001"] })).failed).toBeUndefined();
    const refused = await completeExpansion(runContext(environment, dir), { version: "20251201_000001" }).then(() => undefined, (error: Error & { hint?: string }) => error);
    expect(refused?.message).toContain("20251201_000001 cannot complete: cannot drop column legacy_code of table posts because other objects depend on it");
    expect(refused?.message).toContain("view post_codes depends on column legacy_code of table posts");
    expect(refused?.hint).toContain("Nothing of the contract was applied; 20251201_000001 stays expanded. Drop or change what depends on it in a plain migration");
    expect(refused?.hint).not.toContain("CASCADE");
    expect(await query(url, "SELECT state FROM rookery_expansions WHERE version = '20251201_000001'")).toEqual([{ state: "expanded" }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'posts' AND column_name = 'legacy_code'")).toEqual([{ n: 1 }]);
    await query(url, "DROP VIEW post_codes; CREATE VIEW post_codes AS SELECT id FROM posts");
    await completeExpansion(runContext(environment, dir), { version: "20251201_000001" });
    expect(await query(url, "SELECT state FROM rookery_expansions WHERE version = '20251201_000001'")).toEqual([{ state: "completed" }]);
  });
});
