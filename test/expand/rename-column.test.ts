import { expect } from "vitest";
import { expandContractStory } from "../support/expand.ts";

expandContractStory("RENAME COLUMN under expand-contract", {
  setup: "CREATE TABLE users (id bigint PRIMARY KEY, mail text NOT NULL); INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x')",
  migration: "-- rookery:expand-contract\nALTER TABLE users RENAME COLUMN mail TO email;\n",
  async whileExpanded(shapes) {
    expect(await shapes.old("SELECT mail FROM users WHERE id = 1")).toEqual([{ mail: "a@x" }]);
    expect(await shapes.new("SELECT email FROM users WHERE id = 1")).toEqual([{ email: "a@x" }]);
    await shapes.old("INSERT INTO users VALUES (3, 'c@x')");
    await shapes.new("INSERT INTO users (id, email) VALUES (4, 'd@x')");
    await shapes.new("UPDATE users SET email = 'a2@x' WHERE id = 1");
    expect(await shapes.new("SELECT email FROM users WHERE id = 3")).toEqual([{ email: "c@x" }]);
    expect(await shapes.old("SELECT mail FROM users WHERE id IN (1, 4) ORDER BY id")).toEqual([{ mail: "a2@x" }, { mail: "d@x" }]);
  },
  async afterAbort(shapes) {
    expect(await shapes.old("SELECT id, mail FROM users ORDER BY id")).toHaveLength(4);
  },
  async afterComplete(shapes) {
    expect(await shapes.old("SELECT email FROM users WHERE id = 4")).toEqual([{ email: "d@x" }]);
    await shapes.new("INSERT INTO users (id, email) VALUES (5, 'e@x')");
    expect(await shapes.new("SELECT count(*)::int AS n FROM users")).toEqual([{ n: 5 }]);
  },
});
