import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

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
